/**
 * Who may put Users, Groups, Templates and Locations into the portal's catalog, judged by the
 * catalog's own processing code at the pinned version: the orchestrator the catalog backend runs
 * on every entity (with the processors and entity policies its builder assembles and the rules
 * enforcer it reads from our merged layers), on the entities the two GitLab providers emit, built
 * by the providers' own code from our layers. Only the GitLab boundary is replaced (no GitLab can
 * run here): each provider's GitLab client object, and the URL reader that would fetch a
 * project's catalog-info.yaml from GitLab. The backend itself, with the same rules, refuses the
 * same entities from a catalog file in backend/e2e.test.ts.
 *
 * The orchestrator, the rules enforcer, the builder and the parser are not exported by
 * @backstage/plugin-catalog-backend; they are loaded from the package's own dist files, the code
 * the backend runs.
 */
import * as path from 'node:path';
import {
  ANNOTATION_ORIGIN_LOCATION,
  parseLocationRef,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import { ConfigReader, type Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import {
  GitlabDiscoveryEntityProvider,
  GitlabOrgDiscoveryEntityProvider,
} from '@backstage/plugin-catalog-backend-module-gitlab';
import { ScaffolderEntitiesProcessor } from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import type { EntityProvider, EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PORTAL_TEST_ENV } from '../testing/portal-env';
import { clusterConfigLayers } from '../testing/portal-layers';

const CATALOG_DIST = path.join(
  path.dirname(require.resolve('@backstage/plugin-catalog-backend/package.json')),
  'dist',
);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const internal = (file: string): any => require(path.join(CATALOG_DIST, file));
const { CatalogBuilder } = internal('service/CatalogBuilder.cjs.js');
const { DefaultCatalogProcessingOrchestrator } = internal(
  'processing/DefaultCatalogProcessingOrchestrator.cjs.js',
);
const { DefaultCatalogRulesEnforcer } = internal('ingestion/CatalogRules.cjs.js');
const { defaultEntityDataParser } = internal('util/parse.cjs.js');
const { computeLocationEntityRef, locationSpecToLocationEntity } =
  internal('util/conversion.cjs.js');

type Processed =
  | { ok: true; completedEntity: Entity; deferredEntities: { entity: Entity }[]; relations: any[] }
  | { ok: false; errors: Error[] };

const { GITLAB_URL, GITLAB_PLATFORM_GROUP: ROOT } = PORTAL_TEST_ENV;
const silent = (): void => {};
const logger: any = { info: silent, warn: silent, error: silent, debug: silent };
logger.child = () => logger;
// The scheduler is a boundary too: nothing runs on a schedule, the test calls refresh itself.
const scheduler: any = { createScheduledTaskRunner: () => ({ run: async () => {} }) };

/** The files GitLab would serve, by URL; the catalog reads them with `search` (UrlReaderProcessor). */
const served = new Map<string, string>();
const reader: any = {
  search: (url: string) => {
    const content = served.get(url);
    if (content === undefined) {
      return Promise.reject(new NotFoundError(`${url} not found`));
    }
    return Promise.resolve({
      etag: String(content.length),
      files: [{ url, content: () => Promise.resolve(Buffer.from(content)) }],
    });
  },
  // Placeholders ($text, $json, $yaml) would read with readUrl; no test entity has one.
  readUrl: (url: string) => Promise.reject(new Error(`unexpected read of ${url}`)),
};

function catalog(config: Config) {
  // As CatalogPlugin builds it: the builder's processors with the modules' ones added (here the
  // scaffolder entity model's), the builder's entity policies, the rules from the config.
  const builder = CatalogBuilder.create({ config, reader, logger });
  builder.addProcessor(new ScaffolderEntitiesProcessor());
  const rules = DefaultCatalogRulesEnforcer.fromConfig(config);
  const orchestrator = new DefaultCatalogProcessingOrchestrator({
    processors: builder.buildProcessors(),
    integrations: ScmIntegrations.fromConfig(config),
    rulesEnforcer: rules,
    logger,
    parser: defaultEntityDataParser,
    policy: builder.buildEntityPolicy(),
    allowedLocationTypes: ['url'],
  });
  return {
    rules: rules as { isAllowed(entity: Entity, location: unknown): boolean },
    process: (entity: Entity): Promise<Processed> => orchestrator.process({ entity, state: {} }),
  };
}

/** What a provider hands the catalog on a full refresh. */
async function emitted(provider: EntityProvider): Promise<Entity[]> {
  const mutations: EntityProviderMutation[] = [];
  await provider.connect({
    applyMutation: (m) => {
      mutations.push(m);
      return Promise.resolve();
    },
    refresh: async () => {},
  });
  // What the provider's scheduled task runs (private in the org provider's types).
  await (provider as any).refresh(logger);
  return mutations.flatMap((m) => (m.type === 'full' ? m.entities.map((e) => e.entity) : []));
}

/** A GitLab group tree and its members, as the GitLab API answers (only the fields read). */
const group = (id: number, fullPath: string, parentId: number | null) => ({
  id,
  name: fullPath.split('/').pop()!,
  full_path: fullPath,
  description: '',
  parent_id: parentId,
});
const user = (id: number, username: string) => ({
  id,
  username,
  name: username,
  email: `${username}@example.com`,
  state: 'active',
  web_url: `${GITLAB_URL}/${username}`,
  avatar_url: '',
});
const GROUPS = [
  group(2, `${ROOT}/platform-team`, 1),
  group(3, `${ROOT}/customers`, 1),
  group(4, `${ROOT}/customers/team-b`, 3),
];
const MEMBERS: Record<string, ReturnType<typeof user>[]> = {
  [ROOT]: [],
  [`${ROOT}/platform-team`]: [user(10, 'alice')],
  [`${ROOT}/customers`]: [],
  [`${ROOT}/customers/team-b`]: [user(11, 'bob')],
};

/** The org provider of our layers, its GitLab client replaced by the group tree above. */
function orgProvider(config: Config): GitlabOrgDiscoveryEntityProvider {
  const [provider] = GitlabOrgDiscoveryEntityProvider.fromConfig(config, { logger, scheduler });
  (provider as any).gitLabClient = {
    isSelfManaged: () => true,
    listDescendantGroups: () => Promise.resolve({ items: [...GROUPS] }),
    getGroupByPath: (p: string) => Promise.resolve(group(1, p, null)),
    listGroupMembers: () => Promise.resolve({ items: [user(10, 'alice'), user(11, 'bob')] }),
    getGroupMembers: (fullPath: string) => Promise.resolve({ items: MEMBERS[fullPath] ?? [] }),
  };
  return provider;
}

const PROJECT = {
  id: 7,
  path_with_namespace: `${ROOT}/customers/team-b/invoice-api`,
  web_url: `${GITLAB_URL}/${ROOT}/customers/team-b/invoice-api`,
  default_branch: 'main',
};

/** The discovery provider of our layers, its GitLab client answering with one project. */
function discoveryProvider(config: Config): GitlabDiscoveryEntityProvider {
  const [provider] = GitlabDiscoveryEntityProvider.fromConfig(config, { logger, scheduler });
  (provider as any).gitLabClient = {
    listProjects: () => Promise.resolve({ items: [PROJECT] }),
    hasFile: () => Promise.resolve(true),
  };
  return provider;
}

const entity = (kind: string, name: string, spec: NonNullable<Entity['spec']>): Entity => ({
  apiVersion: kind === 'Template' ? 'scaffolder.backstage.io/v1beta3' : 'backstage.io/v1alpha1',
  kind,
  metadata: { name },
  spec,
});
const SERVICE = entity('Component', 'invoice-api', {
  type: 'service',
  lifecycle: 'production',
  owner: 'group:default/customers-team-b',
});

/** What a developer of team B can push to their project's catalog-info.yaml, beside SERVICE. */
const REFUSED: [string, Entity][] = [
  [
    'a User of their own in the platform team',
    entity('User', 'mallory', { memberOf: ['platform-team'] }),
  ],
  [
    'a real user, shadowed, in the platform team',
    entity('User', 'bob', { memberOf: ['platform-team', 'customers-team-b'] }),
  ],
  [
    'a Group listing them as members',
    entity('Group', 'payments', { type: 'team', children: [], members: ['bob'] }),
  ],
  [
    'the platform team, shadowed',
    entity('Group', 'platform-team', { type: 'team', children: [], members: ['bob'] }),
  ],
  [
    'a Location pulling in another project',
    entity('Location', 'more', {
      type: 'url',
      target: `${GITLAB_URL}/${ROOT}/platform-team/secret/-/blob/main/users.yaml`,
    }),
  ],
  [
    'a Template',
    entity('Template', 'run-anything', {
      type: 'service',
      steps: [{ id: 'log', action: 'debug:log', input: { message: 'x' } }],
    }),
  ],
];

describe("the portal's catalog rules", () => {
  const config = ConfigReader.fromConfigs(clusterConfigLayers());
  const { rules, process } = catalog(config);

  it("ingests the GitLab org provider's Users and Groups, though no rule allows their kinds", async () => {
    const entities = await emitted(orgProvider(config));
    // The provider leaves out groups without members of their own (the root and customers).
    expect(entities.map(stringifyEntityRef).sort()).toEqual([
      'group:default/customers-team-b',
      'group:default/platform-team',
      'user:default/alice',
      'user:default/bob',
    ]);
    for (const e of entities) {
      // No rule allows a User or Group at the provider's own location refs (url:<GitLab>/<path>):
      // the rules hold only what catalog files declare; the provider's entities are processed as
      // they are.
      const origin = e.metadata.annotations![ANNOTATION_ORIGIN_LOCATION];
      expect(origin).toMatch(new RegExp(`^url:${GITLAB_URL}/`));
      expect(rules.isAllowed(e, parseLocationRef(origin))).toBe(false);
      const result = await process(e);
      expect(result.ok ? [] : result.errors.map(String), stringifyEntityRef(e)).toEqual([]);
    }
    // Membership, hence the permission policy's admin groups, as GitLab says it.
    const alice = await process(entities.find((e) => e.metadata.name === 'alice')!);
    expect(
      alice.ok && alice.relations.map((r) => `${r.type} ${stringifyEntityRef(r.target)}`),
    ).toContain('memberOf group:default/platform-team');
  });

  // The discovery provider hands the catalog one Location per project; what the project's
  // catalog-info.yaml declares is judged by the rules at that Location's URL.
  const discovered = async (): Promise<Entity> => {
    const locations = await emitted(discoveryProvider(config));
    expect(locations.map((l) => [l.kind, l.spec?.target])).toEqual([
      ['Location', `${PROJECT.web_url}/-/blob/main/catalog-info.yaml`],
    ]);
    return locations[0];
  };

  it("ingests a discovered project's Components, Systems, APIs, Resources and Domains", async () => {
    const location = await discovered();
    const allowed = [
      SERVICE,
      entity('API', 'invoices', {
        type: 'openapi',
        lifecycle: 'production',
        owner: 'group:default/customers-team-b',
        definition: 'openapi: 3.0.0',
      }),
      entity('System', 'billing', { owner: 'group:default/customers-team-b' }),
      entity('Resource', 'invoices-db', {
        type: 'database',
        owner: 'group:default/customers-team-b',
      }),
      entity('Domain', 'payments', { owner: 'group:default/customers-team-b' }),
    ];
    served.set(location.spec!.target as string, allowed.map((e) => stringify(e)).join('---\n'));
    const result = await process(location);
    expect(result.ok ? [] : result.errors.map(String)).toEqual([]);
    expect(result.ok && result.deferredEntities.map((d) => stringifyEntityRef(d.entity))).toEqual(
      allowed.map(stringifyEntityRef),
    );
  });

  it.each(REFUSED)(
    "refuses a discovered project's catalog-info.yaml declaring %s, and all of it",
    async (_, refused) => {
      const location = await discovered();
      const url = location.spec!.target as string;
      served.set(url, [SERVICE, refused].map((e) => stringify(e)).join('---\n'));
      const result = await process(location);
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors.map(String)).toEqual([
        `NotAllowedError: Entity ${stringifyEntityRef(refused)} at url:${url}, originated at url:${url}, is not of an allowed kind for that location`,
      ]);
    },
  );

  it('refuses a Group request of the claims repository, registered as a location', async () => {
    // groups/<path>.json (customer-group template) is merged after review and read by the claims
    // pipeline, which creates the GitLab subgroup; the Group entity is then the org provider's.
    // Registered by a team member (the Location entity the catalog's location store makes for
    // POST /api/catalog/locations and catalog:register), it is refused like any catalog file.
    const url = `${GITLAB_URL}/${ROOT}/claims/-/blob/main/groups/team-c.json`;
    const request = entity('Group', 'customers-team-c', { type: 'team', children: [] });
    served.set(url, JSON.stringify(request));
    const type = 'url';
    const location = locationSpecToLocationEntity({
      location: { type, target: url },
      locationEntityRef: computeLocationEntityRef(type, url),
    });
    const result = await process(location);
    expect(result.ok ? [] : result.errors.map(String)).toEqual([
      `NotAllowedError: Entity group:default/customers-team-c at url:${url}, originated at url:${url}, is not of an allowed kind for that location`,
    ]);
  });
});
