/**
 * Catalog checks a template runs before its first step that writes anywhere, so that a value the
 * form's JSON Schema cannot judge (does this entity exist, is it of the right kind, is it a group
 * GitLab knows) fails early with a message naming the field, and never half-way through. They
 * only read the catalog, with the credentials of whoever runs the template, so they support
 * dry-runs like the built-in catalog:fetch.
 *
 * Why not catalog:fetch: it throws a plain Error (an HTTP 500 and an error log line in a dry-run)
 * for an entity that is not found or a reference it cannot parse, and it checks neither the
 * kind nor the annotations a template goes on to read.
 */
import { type Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { JsonObject } from '@backstage/types';
import { createTemplateAction, type TemplateAction } from '@backstage/plugin-scaffolder-node';

export const REQUIRE_ENTITY_ACTION_ID = 'platform:catalog:require';
export const GITLAB_GROUP_ACTION_ID = 'platform:catalog:gitlab-group';
export const ENTITY_ABSENT_ACTION_ID = 'platform:catalog:absent';

/** The part of the catalog service these checks use. */
export type CatalogReader = Pick<CatalogService, 'getEntityByRef'>;

interface Lookup {
  readonly getInitiatorCredentials: () => Promise<unknown>;
}

/** The entity `entityRef` names, of `kind`, or an InputError naming `field`. */
async function requireEntity(
  catalog: CatalogReader,
  ctx: Lookup,
  field: string,
  entityRef: string,
  kind: string,
): Promise<Entity> {
  let ref: string;
  try {
    ref = stringifyEntityRef(parseEntityRef(entityRef));
  } catch {
    throw new InputError(
      `${field}: ${JSON.stringify(entityRef)} is not an entity reference; expected ${kind.toLowerCase()}:<namespace>/<name>`,
    );
  }
  const entity = await catalog.getEntityByRef(ref, {
    credentials: (await ctx.getInitiatorCredentials()) as never,
  });
  if (entity === undefined) {
    throw new InputError(`${field}: ${ref} is not in the catalog; expected an existing ${kind}`);
  }
  if (entity.kind.toLowerCase() !== kind.toLowerCase()) {
    throw new InputError(`${field}: ${ref} is a ${entity.kind}; expected a ${kind}`);
  }
  return entity;
}

export function createRequireEntityAction(options: {
  catalog: CatalogReader;
}): TemplateAction<{ entityRef: string; kind: string; field: string }, { entity?: JsonObject }> {
  return createTemplateAction({
    id: REQUIRE_ENTITY_ACTION_ID,
    description: 'Fails unless the entity exists in the catalog and is of the given kind.',
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: (z) => z.string().describe('The entity reference the form gave'),
        kind: (z) => z.string().describe('The kind it must be, e.g. Group'),
        field: (z) => z.string().describe('The form field, for the message'),
      },
      output: { entity: (z) => z.any().describe('The entity') },
    },
    async handler(ctx) {
      const { entityRef, kind, field } = ctx.input;
      ctx.output('entity', await requireEntity(options.catalog, ctx, field, entityRef, kind));
    },
  });
}

/**
 * Fails when the entity already exists: a new component's name must be free, or the catalog
 * refuses the new repository's entity as a conflict after the repository was created.
 */
export function createEntityAbsentAction(options: {
  catalog: CatalogReader;
}): TemplateAction<{ entityRef: string; field: string }> {
  return createTemplateAction({
    id: ENTITY_ABSENT_ACTION_ID,
    description: 'Fails when the entity is already in the catalog.',
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: (z) => z.string().describe('The entity reference the template would create'),
        field: (z) => z.string().describe('The form field it is named after, for the message'),
      },
    },
    async handler(ctx) {
      const { entityRef, field } = ctx.input;
      const ref = stringifyEntityRef(parseEntityRef(entityRef));
      const existing = await options.catalog.getEntityByRef(ref, {
        credentials: await ctx.getInitiatorCredentials(),
      });
      if (existing !== undefined) {
        const from = existing.metadata.annotations?.['backstage.io/managed-by-location'];
        throw new InputError(
          `${field}: ${ref} is already in the catalog${from !== undefined ? ` (from ${from})` : ''}; choose another name`,
        );
      }
    },
  });
}

/**
 * The GitLab group behind a Group entity: its full path, from the `<host>/team-path` annotation
 * the GitLab org provider sets on the groups it ingests. Fails for a Group without it (registered
 * by hand, or ingested from another host), for any other kind, and for a path the consumer of the
 * value refuses (the template passes the target API's pattern and length).
 */
export function createGitlabGroupAction(options: {
  catalog: CatalogReader;
}): TemplateAction<
  { entityRef: string; gitlabHost: string; field: string; pattern: string; maxLength: number },
  { path: string; entity?: JsonObject }
> {
  return createTemplateAction({
    id: GITLAB_GROUP_ACTION_ID,
    description:
      "Looks up a Group's GitLab group path (the org provider's <host>/team-path annotation) and checks it.",
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: (z) => z.string().describe('The Group entity reference the form gave'),
        gitlabHost: (z) => z.string().describe('The GitLab host the org provider ingests from'),
        field: (z) => z.string().describe('The form field, for the message'),
        pattern: (z) => z.string().describe('The pattern the path must match'),
        maxLength: (z) => z.number().int().describe('The longest path allowed'),
      },
      output: {
        path: (z) => z.string().describe("The GitLab group's full path"),
        entity: (z) => z.any().describe('The Group entity'),
      },
    },
    async handler(ctx) {
      const { entityRef, gitlabHost, field, pattern, maxLength } = ctx.input;
      const entity = await requireEntity(options.catalog, ctx, field, entityRef, 'Group');
      const ref = stringifyEntityRef(entity);
      const annotation = `${gitlabHost}/team-path`;
      const groupPath = entity.metadata.annotations?.[annotation];
      if (groupPath === undefined || groupPath === '') {
        throw new InputError(
          `${field}: ${ref} has no ${annotation} annotation, so it is not a group the catalog ingested from ${gitlabHost}; choose a Group that comes from GitLab`,
        );
      }
      if (groupPath.length > maxLength || !new RegExp(pattern).test(groupPath)) {
        throw new InputError(
          `${field}: the GitLab group of ${ref}, ${JSON.stringify(groupPath)}, cannot be used here; expected a path of lowercase DNS-label segments separated by "/", at most ${maxLength} characters`,
        );
      }
      ctx.output('path', groupPath);
      ctx.output('entity', entity);
    },
  });
}
