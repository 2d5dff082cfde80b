import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { describe, expect, it } from 'vitest';
import { actionContext } from '../../../testing/scaffolder';
import {
  type CatalogReader,
  createEntityAbsentAction,
  createGitlabGroupAction,
  createRequireEntityAction,
} from './catalog-actions';

const group = (name: string, annotations: Record<string, string> = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'team', children: [] },
});

const ENTITIES: Entity[] = [
  group('customers-team-a', { 'gitlab.example.com/team-path': 'acme-platform/customers/team-a' }),
  group('by-hand'),
  group('elsewhere', { 'gitlab.other.example/team-path': 'acme-platform/customers/elsewhere' }),
  group('customers-Team_B', { 'gitlab.example.com/team-path': 'acme-platform/customers/Team_B' }),
  group('customers-long', { 'gitlab.example.com/team-path': `acme/${'x'.repeat(60)}` }),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'jane.doe', namespace: 'default' },
    spec: {},
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'platform', namespace: 'default' },
    spec: { owner: 'group:default/platform-team' },
  },
];

/** The catalog service at its boundary: entity refs are case-insensitive, as the catalog's. */
const catalog: CatalogReader & { asked: unknown[] } = {
  asked: [],
  getEntityByRef(ref, options) {
    catalog.asked.push(options.credentials);
    return Promise.resolve(
      ENTITIES.find(
        (e) =>
          stringifyEntityRef(e) ===
          (typeof ref === 'string' ? ref : stringifyEntityRef(ref)).toLowerCase(),
      ),
    );
  },
};

const GROUP_PATH_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

async function run(
  action: { handler(ctx: never): Promise<void> },
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const ctx = actionContext({ input, workspacePath: '/nonexistent' });
  await action.handler(ctx.context as never);
  return ctx.outputs;
}

describe('platform:catalog:gitlab-group', () => {
  const action = createGitlabGroupAction({ catalog });
  const owner = (entityRef: string) =>
    run(action, {
      entityRef,
      gitlabHost: 'gitlab.example.com',
      field: 'owner',
      pattern: GROUP_PATH_PATTERN,
      maxLength: 63,
    });

  it('gives the GitLab path of a Group ingested from GitLab, with the caller credentials', async () => {
    catalog.asked.length = 0;
    const out = await owner('group:default/customers-team-a');
    expect(out.path).toBe('acme-platform/customers/team-a');
    expect((out.entity as Entity).metadata.name).toBe('customers-team-a');
    expect(catalog.asked).toEqual([
      expect.objectContaining({
        principal: { type: 'user', userEntityRef: 'user:default/tester' },
      }),
    ]);
  });

  it.each([
    ['x', 'owner: "x" is not an entity reference; expected group:<namespace>/<name>'],
    [':', 'owner: ":" is not an entity reference; expected group:<namespace>/<name>'],
    [
      'group:default/nobody',
      'owner: group:default/nobody is not in the catalog; expected an existing Group',
    ],
    ['user:default/jane.doe', 'owner: user:default/jane.doe is a User; expected a Group'],
    ['system:default/platform', 'owner: system:default/platform is a System; expected a Group'],
    [
      'group:default/by-hand',
      'owner: group:default/by-hand has no gitlab.example.com/team-path annotation, so it is not a group the catalog ingested from gitlab.example.com; choose a Group that comes from GitLab',
    ],
    [
      'group:default/elsewhere',
      'owner: group:default/elsewhere has no gitlab.example.com/team-path annotation, so it is not a group the catalog ingested from gitlab.example.com; choose a Group that comes from GitLab',
    ],
    [
      'group:default/customers-team_b',
      'owner: the GitLab group of group:default/customers-team_b, "acme-platform/customers/Team_B", cannot be used here; expected a path of lowercase DNS-label segments separated by "/", at most 63 characters',
    ],
    [
      'group:default/customers-long',
      `owner: the GitLab group of group:default/customers-long, "acme/${'x'.repeat(60)}", cannot be used here; expected a path of lowercase DNS-label segments separated by "/", at most 63 characters`,
    ],
  ])('refuses %s with an input error naming the field', async (ref, message) => {
    const error = await owner(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(message);
  });

  it('supports dry-runs: it only reads the catalog', () => {
    expect(action.supportsDryRun).toBe(true);
  });
});

describe('platform:catalog:require', () => {
  const action = createRequireEntityAction({ catalog });

  it('gives the entity when it exists and has the kind', async () => {
    const out = await run(action, {
      entityRef: 'system:default/platform',
      kind: 'System',
      field: 'system',
    });
    expect((out.entity as Entity).kind).toBe('System');
  });

  it.each([
    ['', 'system: "" is not an entity reference; expected system:<namespace>/<name>'],
    [
      'group:default/',
      'system: "group:default/" is not an entity reference; expected system:<namespace>/<name>',
    ],
    [
      'system:default/other',
      'system: system:default/other is not in the catalog; expected an existing System',
    ],
    [
      'group:default/customers-team-a',
      'system: group:default/customers-team-a is a Group; expected a System',
    ],
  ])('refuses %j', async (entityRef, message) => {
    const error = await run(action, { entityRef, kind: 'System', field: 'system' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(message);
  });
});

describe('platform:catalog:absent', () => {
  const action = createEntityAbsentAction({ catalog });

  it('passes for a name nobody has', async () => {
    await expect(
      run(action, { entityRef: 'component:default/invoice-api', field: 'name' }),
    ).resolves.toEqual({});
  });

  it('refuses a name that is taken, saying where the entity comes from', async () => {
    ENTITIES.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'billing',
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location': 'url:https://gitlab.example.com/acme/billing',
        },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'group:default/customers-team-a' },
    });
    const error = await run(action, {
      entityRef: 'component:default/billing',
      field: 'name',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'name: component:default/billing is already in the catalog (from url:https://gitlab.example.com/acme/billing); choose another name',
    );
  });
});
