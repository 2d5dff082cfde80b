/**
 * The portal, booted for real: the backend package with the production configuration layer (and
 * the stack's generated layer), against a real PostgreSQL started from npm, asserted through its
 * HTTP API. Two static external-access tokens: the production layer's CI token, and a test-only
 * token that exists only in this test's own config layer (template dry-runs, TechDocs, the
 * Kubernetes plugin), never in a layer the cluster reads. GitLab points at an example host
 * nothing may call during the test.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ConfigReader, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, type JsonObject } from '@backstage/types';
import { gitlabSignIn, readConfigLayer, signInScopes } from '../../infra/backstage-config';
import { gitlabEnv } from '../../infra/backstage-spec';
import { catalogWebhook, WEBHOOK_SECRET } from '../../infra/gitlab/portal-access';
import {
  configLeaves,
  readByFullName,
  unreadKeys,
  type ConfigRead,
} from '../../testing/config-reads';
import { filesUnder } from '../../testing/scaffolder';
import { PORTAL_TEST_ENV } from '../../testing/portal-env';
import {
  exampleCatalog,
  exampleParameters,
  TEMPLATE_NAMES,
  type TemplateName,
} from '../../testing/template-examples';
import { fileProblems, pipelineProblems } from '../../testing/template-output';
import { BOUNDARY_STACKS, type TemplateStack } from '../../testing/template-stack';
import {
  portalWorkDir,
  startTestPostgres,
  writeStackLayer,
  stopPortalRun,
} from '../../testing/portal-fixture';
import {
  checkConfig,
  freePort,
  portalConfigSchema,
  startBackend,
  type Backend,
  type Postgres,
} from './src/launch';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
/** The production layer's CI token: generated per run, as the stack generates the real one. */
const TOKEN = randomBytes(24).toString('base64url');
/** The test-only token (this test's config layer): what the e2e does beyond the CI token. */
const E2E_TOKEN = randomBytes(24).toString('base64url');

/**
 * The stack this portal runs for: unlike the examples and the dev stack, another GitLab host and
 * every configured group path as long as the configuration allows (32 characters). Its values
 * reach the templates the way they do in the cluster: the portal-env ConfigMap's variables
 * (infra/backstage-spec.ts) in the production layer's scaffolder.defaultEnvironment.
 */
const STACK: TemplateStack = BOUNDARY_STACKS.longest;
const STACK_HOST = new URL(STACK.gitlabUrl).host;

/** Catalog entities the test registers: the GitLab groups the org provider would ingest, and one by hand. */
const TEST_ENTITIES = [
  ...exampleCatalog(STACK).filter((e) => e.kind === 'Group'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'by-hand', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
];

let work: string;
let pg: Postgres | undefined;
let backend: Backend | undefined;
let baseUrl: string;
let bootMs: number;
/** The backend's output when it first answered ready. */
let logAtReady: string;
/** The layers the backend was started with, and the file its configuration reads go to. */
let configFiles: string[];
let readsFile: string;

/**
 * A catalog file that is not the platform's own, standing in for a project's catalog-info.yaml
 * that GitLab discovery finds (no GitLab here): every location but dist/catalog/all.yaml has the
 * same, global, catalog rules, file or URL (catalog-rules.test.ts has the GitLab providers' side).
 */
let projectFile: string;
const PROJECT_SERVICE = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'team-b-service' },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/customers-team-b' },
};

/** A request to the backend; `token: null` sends none. */
const api = (p: string, init: RequestInit = {}, token: string | null = TOKEN) =>
  fetch(`${baseUrl}${p}`, {
    ...init,
    redirect: 'manual',
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
  });

beforeAll(async () => {
  work = portalWorkDir('portal-e2e-');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  pg = await startTestPostgres(work);
  // The stack's layer as the dev stack generates it (no TechDocs bucket), its volume in `work`.
  const stackLayerFile = writeStackLayer(work);
  // The test-only token. Config arrays replace (not extend) those of earlier layers, so this
  // layer repeats the production layer's entries unchanged and adds its own.
  const production = readConfigLayer('app-config.production.yaml') as any;
  projectFile = path.join(work, 'project', 'catalog-info.yaml');
  fs.mkdirSync(path.dirname(projectFile));
  fs.writeFileSync(projectFile, stringify(PROJECT_SERVICE));
  const e2eLayer = {
    backend: {
      auth: {
        externalAccess: [
          ...production.backend.auth.externalAccess,
          {
            type: 'static',
            options: { token: '${PORTAL_E2E_TOKEN}', subject: 'portal-e2e' },
            accessRestrictions: [
              // Unrestricted: TechDocs and catalog:fetch read the catalog on the caller's behalf.
              { plugin: 'catalog' },
              { plugin: 'techdocs' },
              {
                plugin: 'scaffolder',
                permission: [
                  'scaffolder.template.dry-run',
                  'scaffolder.task.create',
                  'scaffolder.action.execute',
                ],
              },
              { plugin: 'kubernetes', permission: ['kubernetes.clusters.read'] },
            ],
          },
        ],
      },
    },
  };
  fs.writeFileSync(path.join(work, 'app-config.e2e.yaml'), stringify(e2eLayer));
  // The test's own entities, from one more file location beside the platform's, and the file
  // that stands in for a discovered project's catalog-info.yaml (no rules of its own). One layer
  // holds every location: config arrays replace those of earlier layers.
  const entitiesFile = path.join(work, 'test-entities.yaml');
  fs.writeFileSync(entitiesFile, TEST_ENTITIES.map((e) => stringify(e)).join('---\n'));
  const baseLocations = (readConfigLayer('app-config.yaml').catalog as { locations: unknown[] })
    .locations;
  fs.writeFileSync(
    path.join(work, 'app-config.test-entities.yaml'),
    stringify({
      catalog: {
        locations: [
          ...baseLocations,
          { type: 'file', target: projectFile },
          { type: 'file', target: entitiesFile, rules: [{ allow: ['Group'] }] },
        ],
      },
    }),
  );
  configFiles = [
    path.join(ROOT, 'backstage-config', 'app-config.yaml'),
    path.join(ROOT, 'backstage-config', 'app-config.production.yaml'),
    stackLayerFile,
    path.join(work, 'app-config.e2e.yaml'),
    path.join(work, 'app-config.test-entities.yaml'),
  ];
  readsFile = path.join(work, 'config-reads.jsonl');
  const env = {
    ...process.env,
    ...PORTAL_TEST_ENV,
    ...gitlabEnv({ url: STACK.gitlabUrl, ...STACK }),
    NODE_ENV: 'production',
    BACKSTAGE_BASE_URL: baseUrl,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PASSWORD: pg.password,
    BACKEND_EXTERNAL_ACCESS_TOKEN: TOKEN,
    PORTAL_E2E_TOKEN: E2E_TOKEN,
    PORTAL_CONFIG_READS_FILE: readsFile,
  };

  await checkConfig(configFiles, env);
  const t0 = Date.now();
  backend = startBackend({
    configFiles,
    env,
    port,
    readyTimeoutMs: 90_000,
    // Records every configuration key the backend reads (checked by the last test): a
    // TypeScript file, loaded by the commands' loader into the compiled backend.
    nodeArgs: [
      '--require',
      path.join(ROOT, 'scripts', 'ts-require.cjs'),
      '--require',
      path.join(ROOT, 'testing', 'record-config-reads.ts'),
    ],
  });
  await backend.ready;
  bootMs = Date.now() - t0;
  logAtReady = backend.log();
}, 150_000);

afterAll(async () => {
  await stopPortalRun({ backend, pg, work });
}, 60_000);

/** The backend's JSON log lines. */
const logLines = (): Record<string, unknown>[] =>
  backend!
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every entity dist/ declares: the catalog files and the templates they register. */
function distEntityRefs(): string[] {
  const refs = ['all.yaml', 'platform.yaml', 'templates.yaml'].flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(DIST, 'catalog', f), 'utf8')).map((d) => {
      const e = d.toJS() as { kind: string; metadata: { name: string } };
      return `${e.kind}:default/${e.metadata.name}`.toLowerCase();
    }),
  );
  for (const dir of fs.readdirSync(path.join(DIST, 'templates'))) {
    refs.push(`template:default/${dir}`);
  }
  return refs.sort();
}

/** The probes the dev stack's Helm values give the portal's container (from the committed plan). */
function planProbes(): Record<string, { httpGet: { path: string; port: number } }> {
  const plan = parse(fs.readFileSync(path.join(DIST, 'plan', 'dev.yaml'), 'utf8')) as {
    resources: { type: string; inputs: any }[];
  };
  const release = plan.resources.find(
    (r) => r.type === 'kubernetes:helm.sh/v3:Release' && r.inputs.chart === 'backstage',
  );
  const { startupProbe, readinessProbe, livenessProbe } = release!.inputs.values.backstage;
  return { startupProbe, readinessProbe, livenessProbe };
}

// Requests to a backend on a loaded two-core machine take seconds, and catalog ingestion is
// awaited for up to 60 s: beyond Vitest's 5 s default.
describe('the portal backend, booted for real', { timeout: 90_000 }, () => {
  afterAll(() => {
    // After every request of this file: nothing any of them did made the backend log an error.
    expect(logLines().filter((l) => l.level === 'error')).toEqual([]);
  });

  it('answers the probes of the Helm values, and only once every plugin is up', async () => {
    console.info(`portal backend ready in ${bootMs} ms`);
    // Readiness is 503 until the backend's startup hooks ran, which is after plugin init.
    expect(logAtReady).toContain('Plugin initialization complete');
    const probes = planProbes();
    expect(Object.keys(probes).sort()).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
    const listen = (readConfigLayer('app-config.production.yaml') as any).backend.listen.port;
    for (const [name, probe] of Object.entries(probes)) {
      expect(probe.httpGet.port, name).toBe(listen);
      const res = await api(probe.httpGet.path, {}, null);
      expect(res.status, name).toBe(200);
      expect(await res.json(), name).toEqual({ status: 'ok' });
    }
    const lines = logLines();
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses a request without a token or with a wrong one', async () => {
    const anonymous = await api('/api/catalog/entities?limit=1', {}, null);
    expect(anonymous.status).toBe(401);
    const wrong = await api('/api/catalog/entities?limit=1', {}, 'wrong-token');
    expect(wrong.status, await wrong.text()).toBe(401);
  });

  it('has every entity of dist/ in the catalog, without processing errors', async () => {
    const expected = distEntityRefs();
    const deadline = Date.now() + 60_000;
    let entities: any[] = [];
    for (;;) {
      const res = await api('/api/catalog/entities/by-refs', {
        method: 'POST',
        body: JSON.stringify({ entityRefs: expected }),
      });
      entities = ((await res.json()) as { items: any[] }).items;
      if (entities.every((e) => e !== null) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const missing = expected.filter((_, i) => entities[i] === null);
    expect(missing).toEqual([]);
    for (const e of entities) {
      const errors = (e.status?.items ?? []).filter((i: any) => i.level === 'error');
      expect(errors, `${e.kind}:${e.metadata.name}`).toEqual([]);
    }
  });

  // Five rounds of the catalog's processing loop, each awaited for up to 30 s.
  it(
    "refuses Users, Groups, Locations and Templates from a catalog file not the platform's own",
    { timeout: 180_000 },
    async () => {
      const byRef = async (ref: string): Promise<any> => {
        const res = await api('/api/catalog/entities/by-refs', {
          method: 'POST',
          body: JSON.stringify({ entityRefs: [ref] }),
        });
        return ((await res.json()) as { items: any[] }).items[0];
      };
      /**
       * Writes the file and refreshes its Location; once the catalog processed it (its errors
       * name `ref`, or `ref` is in the catalog): the errors and whether `ref` is in the catalog.
       */
      const ingest = async (entities: object[], ref: string, locationRef: string) => {
        fs.writeFileSync(projectFile, entities.map((e) => stringify(e)).join('---\n'));
        const refresh = await api(
          '/api/catalog/refresh',
          { method: 'POST', body: JSON.stringify({ entityRef: locationRef }) },
          E2E_TOKEN,
        );
        expect(refresh.status, await refresh.text()).toBe(200);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const errors: string[] = ((await byRef(locationRef))?.status?.items ?? []).map(
            (i: any) => i.message,
          );
          const ingested = (await byRef(ref)) !== null;
          if (ingested || errors.some((e) => e.includes(` ${ref} `))) return { errors, ingested };
          if (Date.now() > deadline) throw new Error(`${locationRef}: not processed in 30 s`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      // The Location entity the catalog made of the file's config entry.
      const query = `kind=location,spec.target=${encodeURIComponent(projectFile)}`;
      const deadline = Date.now() + 30_000;
      let locations: any[] = [];
      while (locations.length === 0 && Date.now() < deadline) {
        locations = (await (await api(`/api/catalog/entities?filter=${query}`)).json()) as any[];
        if (locations.length === 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(locations.map((l) => l.spec)).toEqual([{ type: 'file', target: projectFile }]);
      const locationRef = `location:default/${locations[0].metadata.name}`;
      const service = 'component:default/team-b-service';
      expect(await ingest([PROJECT_SERVICE], service, locationRef)).toEqual({
        errors: [],
        ingested: true,
      });
      // One of the platform's templates under another name, and a file with it beside the project.
      const template = parse(
        fs.readFileSync(path.join(DIST, 'templates', 'team-namespace', 'template.yaml'), 'utf8'),
      );
      template.metadata.name = 'run-anything';
      const templateFile = path.join(path.dirname(projectFile), 'template.yaml');
      fs.writeFileSync(templateFile, stringify(template));
      const refused = [
        { kind: 'User', metadata: { name: 'mallory' }, spec: { memberOf: ['platform-team'] } },
        {
          kind: 'Group',
          metadata: { name: 'payments' },
          spec: { type: 'team', children: [], members: ['mallory'] },
        },
        {
          kind: 'Location',
          metadata: { name: 'more' },
          spec: { type: 'file', target: templateFile },
        },
        template,
      ].map((e) => ({ apiVersion: 'backstage.io/v1alpha1', ...e }));
      const origin = `file:${projectFile}`;
      for (const entity of refused) {
        const ref = `${entity.kind}:default/${entity.metadata.name}`.toLowerCase();
        expect(await ingest([PROJECT_SERVICE, entity], ref, locationRef)).toEqual({
          errors: [
            `NotAllowedError: Entity ${ref} at ${origin}, originated at ${origin}, is not of an allowed kind for that location`,
          ],
          ingested: false,
        });
      }
      // The same file with an API beside the service instead: ingested, no error left.
      const apiEntity = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'API',
        metadata: { name: 'team-b-api' },
        spec: {
          type: 'openapi',
          lifecycle: 'production',
          owner: 'group:default/customers-team-b',
          definition: 'openapi: 3.0.0',
        },
      };
      expect(
        await ingest([PROJECT_SERVICE, apiEntity], 'api:default/team-b-api', locationRef),
      ).toEqual({ errors: [], ingested: true });
    },
  );

  // The ingestion test above reads every dist/ entity by ref with the CI token too.
  it('lets the CI token read the catalog and validate an entity', async () => {
    expect((await api('/api/catalog/entities?limit=1')).status).toBe(200);
    expect((await api('/api/catalog/locations')).status).toBe(200);
    const validate = await api('/api/catalog/validate-entity', {
      method: 'POST',
      body: JSON.stringify({
        location: 'url:https://gitlab.example.com/acme-platform/x/-/blob/main/catalog-info.yaml',
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'x' },
          spec: { type: 'service', lifecycle: 'production', owner: 'group:default/platform-team' },
        },
      }),
    });
    expect(validate.status, await validate.text()).toBe(200);
  });

  it('refuses the CI token everything else: catalog writes, templates, TechDocs, Kubernetes', async () => {
    const refused: [string, RequestInit][] = [
      // Registering (a dry run: nothing would be written even if it were allowed).
      [
        '/api/catalog/locations?dryRun=true',
        {
          method: 'POST',
          body: JSON.stringify({
            type: 'url',
            target: 'https://gitlab.example.com/acme-platform/x/-/blob/main/catalog-info.yaml',
          }),
        },
      ],
      [
        '/api/catalog/refresh',
        { method: 'POST', body: JSON.stringify({ entityRef: 'system:default/platform' }) },
      ],
      [`/api/catalog/entities/by-uid/${randomBytes(8).toString('hex')}`, { method: 'DELETE' }],
      // Running a template: values the template would refuse, so that nothing runs even if allowed.
      [
        '/api/scaffolder/v2/tasks',
        {
          method: 'POST',
          body: JSON.stringify({ templateRef: 'template:default/team-namespace', values: {} }),
        },
      ],
      [
        '/api/scaffolder/v2/dry-run',
        {
          method: 'POST',
          body: JSON.stringify({ template: {}, values: {}, secrets: {}, directoryContents: [] }),
        },
      ],
      ['/api/techdocs/metadata/techdocs/default/system/platform', {}],
      ['/api/kubernetes/clusters', {}],
    ];
    for (const [p, init] of refused) {
      const res = await api(p, init);
      const body = (await res.json()) as { error?: { name?: string } };
      expect({ p, status: res.status, error: body.error?.name }).toEqual({
        p,
        status: 403,
        error: 'NotAllowedError',
      });
    }
  });

  it('sends sign-in to GitLab with the OAuth application, its callback URL and scopes', async () => {
    const res = await api('/api/auth/gitlab/start?env=production', {}, null);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${STACK.gitlabUrl}/oauth/authorize`);
    expect(location.searchParams.get('client_id')).toBe(PORTAL_TEST_ENV.AUTH_GITLAB_CLIENT_ID);
    expect(location.searchParams.get('redirect_uri')).toBe(
      String(gitlabSignIn().callbackUrl).replace('${BACKSTAGE_BASE_URL}', baseUrl),
    );
    expect(location.searchParams.get('scope')?.split(/[ ,]/).sort()).toEqual(signInScopes());
  });

  it("takes GitLab's webhook deliveries at the group hook's URL, only with the hook's token", async () => {
    // The path the stack registers the platform group's hook at, on this backend.
    const { pathname } = new URL(catalogWebhook({ backstageHost: 'portal.example.com' }).url);
    const deliver = (token: string) =>
      fetch(`${baseUrl}${pathname}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-token': token,
          'x-gitlab-event': 'Push Hook',
        },
        body: JSON.stringify({
          object_kind: 'push',
          project: { path_with_namespace: 'acme-platform/claims' },
          commits: [],
        }),
      });
    const wrong = await deliver('not-the-token');
    expect(wrong.status, await wrong.text()).toBe(403);
    const right = await deliver(PORTAL_TEST_ENV[WEBHOOK_SECRET.key]);
    expect(right.status, await right.text()).toBe(202);
  });

  it('lists the in-cluster cluster in the Kubernetes plugin', async () => {
    const res = await api('/api/kubernetes/clusters', {}, E2E_TOKEN);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { name: string }[] };
    expect(items.map((c) => c.name)).toEqual(['platform']);
  });

  // What is checked: TechDocs finds the platform System's docs where a build would read them
  // (dist/catalog, with mkdocs.yml and docs/), and serves a site published for it (metadata and
  // pages, through its permission check on the entity). What is not: the build itself (the
  // portal's mkdocs with mkdocs-techdocs-core, installed in the image, is not installed here),
  // so the site is placed where the local publisher keeps sites, as a build would leave it.
  it("serves the platform System's published TechDocs, from the folder with its mkdocs.yml", async () => {
    const system = (await (
      await api('/api/catalog/entities/by-name/system/default/platform')
    ).json()) as any;
    expect(system.metadata.annotations['backstage.io/techdocs-ref']).toBe('dir:.');
    const entity = await api(
      '/api/techdocs/metadata/entity/default/system/platform',
      {},
      E2E_TOKEN,
    );
    expect(entity.status).toBe(200);
    const { locationMetadata } = (await entity.json()) as any;
    expect(locationMetadata).toEqual({ type: 'dir', target: path.join(DIST, 'catalog') });
    expect(fs.existsSync(path.join(locationMetadata.target, 'mkdocs.yml'))).toBe(true);
    expect(fs.existsSync(path.join(locationMetadata.target, 'docs', 'index.md'))).toBe(true);

    const before = await api(
      '/api/techdocs/metadata/techdocs/default/system/platform',
      {},
      E2E_TOKEN,
    );
    expect(before.status).toBe(404);
    expect(((await before.json()) as any).error.name).toBe('NotFoundError');
    // The site as the local publisher stores it: <publishDirectory>/<namespace>/<kind>/<name>/.
    const site = path.join(work, 'techdocs', 'default', 'system', 'platform');
    const marker = randomBytes(8).toString('hex');
    const metadata = {
      site_name: 'Internal developer platform',
      etag: marker,
      files: ['index.html'],
    };
    fs.mkdirSync(site, { recursive: true });
    fs.writeFileSync(path.join(site, 'techdocs_metadata.json'), JSON.stringify(metadata));
    fs.writeFileSync(path.join(site, 'index.html'), `<html><body>${marker}</body></html>`);
    const after = await api(
      '/api/techdocs/metadata/techdocs/default/system/platform',
      {},
      E2E_TOKEN,
    );
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual(metadata);
    const page = await api(
      '/api/techdocs/static/docs/default/system/platform/index.html',
      {},
      E2E_TOKEN,
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(marker);
    // Only for entities the catalog has: a site published for one it does not have is not served.
    const orphan = path.join(work, 'techdocs', 'default', 'system', 'nothing');
    fs.mkdirSync(orphan, { recursive: true });
    fs.writeFileSync(path.join(orphan, 'index.html'), `<html><body>${marker}</body></html>`);
    const other = await api(
      '/api/techdocs/static/docs/default/system/nothing/index.html',
      {},
      E2E_TOKEN,
    );
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain(marker);
  });

  it('read every configuration key the layers set (frontend-only keys aside)', async () => {
    // The scaffolder reads its default environment per task: one dry-run of its own, so that
    // this test does not depend on the template tests having run.
    const dryRun = await api(
      '/api/scaffolder/v2/dry-run',
      {
        method: 'POST',
        body: JSON.stringify({
          template: {
            apiVersion: 'scaffolder.backstage.io/v1beta3',
            kind: 'Template',
            metadata: { name: 'config-reads' },
            spec: {
              type: 'service',
              steps: [{ id: 'log', action: 'debug:log', input: { message: 'x' } }],
            },
          },
          values: {},
          secrets: {},
          directoryContents: [],
        }),
      },
      E2E_TOKEN,
    );
    expect(dryRun.status, await dryRun.text()).toBe(200);
    const configs = configFiles.map((file) => ({
      context: path.basename(file),
      data: parse(fs.readFileSync(file, 'utf8')),
    }));
    const merged = ConfigReader.fromConfigs(configs).get();
    // Keys the schemas make visible to the frontend app are read by the app, not by the backend.
    const schema = await portalConfigSchema();
    const frontend = new Set(
      schema
        .process(configs, { visibility: ['frontend'], ignoreSchemaErrors: true })
        .flatMap((c) => configLeaves(c.data)),
    );
    const reads = fs
      .readFileSync(readsFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ConfigRead);
    const leaves = configLeaves(merged).filter((k) => !frontend.has(k));
    expect(leaves.length).toBeGreaterThan(40);
    const unread = unreadKeys(leaves, reads);
    // Read only where this test does not go (publish:gitlab reads the default author when it
    // runs for real): accepted where a package reads the key by its full name.
    const { dependencies } = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    const lazy = readByFullName(
      unread,
      Object.keys(dependencies).map((dep) => path.join(ROOT, 'node_modules', dep)),
    );
    console.info(
      `config keys: ${leaves.length} checked, ${frontend.size} frontend-only, read lazily: ${lazy.join(', ')}`,
    );
    expect(unread.filter((k) => !lazy.includes(k))).toEqual([]);
  });
});

/** A template of dist/ dry-run by the backend, with all its steps: the HTTP status and body. */
async function dryRun(name: string, values: Record<string, unknown>) {
  const dir = path.join(DIST, 'templates', name);
  const res = await api(
    '/api/scaffolder/v2/dry-run',
    {
      method: 'POST',
      body: JSON.stringify({
        template: parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8')),
        values,
        secrets: {},
        directoryContents: Object.entries(filesUnder(path.join(dir, 'skeleton'), 'skeleton')).map(
          ([file, content]) => ({
            path: file,
            base64Content: Buffer.from(content, 'utf8').toString('base64'),
          }),
        ),
      }),
    },
    E2E_TOKEN,
  );
  return { status: res.status, body: (await res.json()) as any };
}

/** The log of a dry-run, ANSI colours removed. */
const dryRunLog = (body: any): { stepId?: string; status?: string; message: string }[] =>
  (body.log as { body: { stepId?: string; status?: string; message: string } }[]).map((l) => ({
    ...l.body,
    // eslint-disable-next-line no-control-regex
    message: l.body.message.replace(/\u001b\[[0-9;]*m/g, ''),
  }));

/** The input a step got, as the backend rendered it (it logs every step's input in a dry-run). */
function renderedInput(body: any, stepId: string): Record<string, unknown> {
  const marker = 'in dry-run mode with inputs (secrets redacted): ';
  const line = dryRunLog(body).find((l) => l.stepId === stepId && l.message.includes(marker));
  if (line === undefined) throw new Error(`no rendered input of ${stepId} in the dry-run log`);
  return JSON.parse(line.message.slice(line.message.indexOf(marker) + marker.length)) as Record<
    string,
    unknown
  >;
}

describe('the templates, dry-run with all their steps for a stack unlike the examples', () => {
  /** Steps the scaffolder skips in a dry-run: actions that do not support it. */
  const SKIPPED: Record<TemplateName, string[]> = {
    'team-namespace': ['checkClaimIsNew', 'openMergeRequest'],
    'postgres-database': ['checkClaimIsNew', 'openMergeRequest'],
    'customer-group': ['checkClaimIsNew', 'openMergeRequest'],
    'new-service': ['publishRepository', 'registerComponent'],
  };
  let logLinesBefore: number;

  beforeAll(async () => {
    // The catalog has the test's groups (its lookups are real).
    const refs = TEST_ENTITIES.map((e) => `group:default/${e.metadata.name}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await api('/api/catalog/entities/by-refs', {
        method: 'POST',
        body: JSON.stringify({ entityRefs: refs }),
      });
      const { items } = (await res.json()) as { items: unknown[] };
      if (items.every((e) => e !== null)) break;
      if (Date.now() > deadline) throw new Error(`the catalog never had ${refs.join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    logLinesBefore = logLines().length;
  }, 90_000);

  it.each(TEMPLATE_NAMES)(
    '%s: the checks and catalog lookups run, the files are what the stack and catalog make them',
    async (name) => {
      const parameters = exampleParameters(name, STACK);
      const { status, body } = await dryRun(name, parameters);
      expect(status, JSON.stringify(body).slice(0, 2000)).toBe(200);
      const skipped = dryRunLog(body)
        .filter((l) => l.status === 'skipped')
        .map((l) => l.stepId);
      expect(skipped).toEqual(SKIPPED[name]);
      const workspace = Object.fromEntries(
        (body.directoryContents as { path: string; base64Content: string }[]).map((f) => [
          f.path,
          Buffer.from(f.base64Content, 'base64').toString('utf8'),
        ]),
      );
      if (name === 'new-service') {
        expect(await fileProblems(name, workspace, STACK, parameters)).toEqual([]);
        const entity = parse(workspace['catalog-info.yaml']);
        expect(entity.metadata.annotations['gitlab.com/project-slug']).toBe(
          `${STACK.customersGroup}/team-b/invoice-api`,
        );
        expect(entity.metadata.annotations['gitlab.com/instance']).toBe(STACK_HOST);
        expect(renderedInput(body, 'publishRepository').repoUrl).toBe(parameters.repoUrl);
        return;
      }
      // Where the merge request would put the files, from its input as the backend rendered it.
      const mr = renderedInput(body, 'openMergeRequest') as Record<string, string>;
      expect(mr.repoUrl).toBe(
        `${STACK_HOST}?owner=${STACK.platformGroup}&repo=${STACK.claimsProject}`,
      );
      const files = Object.fromEntries(
        Object.entries(workspace).map(([f, c]) => {
          expect(f.startsWith(`${mr.sourcePath}/`), f).toBe(true);
          return [path.posix.join(mr.targetPath, f.slice(mr.sourcePath.length + 1)), c];
        }),
      );
      expect(await fileProblems(name, files, STACK, parameters)).toEqual([]);
      expect(pipelineProblems(files, STACK)).toBe('');
      if (name === 'team-namespace') {
        // The owner's GitLab path, looked up in the catalog by the owner step.
        expect(parse(files['claims/teamnamespaces/team-a.yaml']).spec.owner).toBe(
          `${STACK.customersGroup}/team-a`,
        );
      }
      if (name === 'customer-group') {
        expect(JSON.parse(files['groups/team-b.json']).metadata.name).toBe('customers-1-team-b');
      }
    },
    60_000,
  );

  it.each([
    [
      'team-namespace',
      { owner: 'group:default/by-hand' },
      `owner: group:default/by-hand has no ${STACK_HOST}/team-path annotation, so it is not a group the catalog ingested from ${STACK_HOST}; choose a Group that comes from GitLab`,
    ],
    [
      'new-service',
      { owner: 'group:default/nobody' },
      'owner: group:default/nobody is not in the catalog; expected an existing Group',
    ],
    ['team-namespace', { owner: ':' }, /^owner: does not match pattern/],
    ['team-namespace', { owner: 'user:default/jane.doe' }, /^owner: does not match pattern/],
    ['team-namespace', { name: 'kube-system' }, /^name: does not match pattern/],
    ['customer-group', { name: 'a'.repeat(31) }, /^name: does not meet maximum length of 30/],
  ] as const)(
    '%s with %j: a 400 that says why, before any step writes',
    async (name, change, why) => {
      const { status, body } = await dryRun(name, { ...exampleParameters(name, STACK), ...change });
      expect(status, JSON.stringify(body).slice(0, 2000)).toBe(400);
      const messages: string[] = body.errors?.map(
        (e: { property: string; message: string }) =>
          `${e.property.replace(/^instance\./, '')}: ${e.message}`,
      ) ?? [body.error.message];
      expect(
        messages.some((m) => (typeof why === 'string' ? m === why : why.test(m))),
        messages.join('\n'),
      ).toBe(true);
    },
  );

  it('logged no error for any of these dry-runs', () => {
    expect(
      logLines()
        .slice(logLinesBefore)
        .filter((l) => l.level === 'error'),
    ).toEqual([]);
  });
});

// Last: it stops the backend. Kubernetes stops a pod with SIGTERM and kills it when the grace
// period is over (30 s, Kubernetes' default: the chart sets none). The event bus's long polls used
// to hold the process for up to 55 s (src/root-http-router.ts).
describe('the portal backend, stopped as Kubernetes stops its pod', () => {
  it("answers not ready at once, serves through the layer's shutdown delay, exits with code 0 well inside the grace period", async () => {
    const linesBefore = logLines().length;
    const delayMs = durationToMilliseconds(
      readDurationFromConfig(
        new ConfigReader(readConfigLayer('app-config.production.yaml') as JsonObject),
        {
          key: 'backend.lifecycle.serverShutdownDelay',
        },
      ),
    );
    expect(delayMs).toBeGreaterThanOrEqual(1_000);
    const t0 = Date.now();
    // Killed if it has not exited 10 s after the delay (the pod's grace period is 30 s).
    const stopped = backend!.stop({ signal: 'SIGTERM', graceMs: delayMs + 10_000 });
    // The readiness probe's endpoint says so at once; everything else is still served.
    let readiness: Response;
    do {
      readiness = await fetch(`${baseUrl}/.backstage/health/v1/readiness`);
    } while (readiness.status === 200 && Date.now() - t0 < 2_000);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ message: 'Backend is shutting down' });
    expect((await api('/api/catalog/entities?limit=1')).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(delayMs);
    const exit = await stopped;
    const stoppedMs = Date.now() - t0;
    expect(exit, backend!.log().slice(-3000)).toEqual({ code: 0, signal: null, killed: false });
    expect(stoppedMs).toBeGreaterThanOrEqual(delayMs);
    expect(stoppedMs).toBeLessThan(Math.min(delayMs + 10_000, 30_000));
    expect(
      logLines()
        .slice(linesBefore)
        .filter((l) => l.level === 'error'),
    ).toEqual([]);
  }, 60_000);
});
