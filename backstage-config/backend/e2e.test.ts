/**
 * The portal, booted for real: the backend package with the production configuration layer (and
 * the stack's generated layer), against a real PostgreSQL started from npm, asserted through its
 * HTTP API with the static external-access token the configuration defines. GitLab points at an
 * example host nothing may call during the test.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { gitlabSignIn, readConfigLayer, signInScopes } from '../../infra/backstage-config';
import { gitlabEnv, stackConfigLayer } from '../../infra/backstage';
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
  checkConfig,
  freePort,
  startBackend,
  startPostgres,
  type Backend,
  type Postgres,
} from './src/launch';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
/** Generated per run, as the stack generates the real one. */
const TOKEN = randomBytes(24).toString('base64url');

/**
 * The stack this portal runs for: unlike the examples and the dev stack, another GitLab host and
 * every configured group path as long as the configuration allows (32 characters). Its values
 * reach the templates the way they do in the cluster: the portal-env ConfigMap's variables
 * (infra/backstage.ts) in the production layer's scaffolder.defaultEnvironment.
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
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-e2e-'));
  // PostgreSQL runs as its own user when the tests run as root: it must reach its data folder.
  fs.chmodSync(work, 0o755);
  const [dbPort, port] = [await freePort(), await freePort()];
  baseUrl = `http://127.0.0.1:${port}`;
  pg = await startPostgres({
    dataDir: path.join(work, 'postgres'),
    port: dbPort,
    password: randomBytes(16).toString('base64url'),
    persistent: false,
    database: 'backstage',
  });
  // The stack's layer as the dev stack generates it (no TechDocs bucket), its volume in `work`.
  const stackLayer = stackConfigLayer({
    techdocs: { volumeSize: '5Gi' },
    adminGroups: ['group:default/platform-team'],
  }) as any;
  stackLayer.techdocs.publisher.local.publishDirectory = path.join(work, 'techdocs');
  fs.writeFileSync(path.join(work, 'app-config.stack.yaml'), stringify(stackLayer));
  // The test's own entities, from one more file location beside the platform's.
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
          { type: 'file', target: entitiesFile, rules: [{ allow: ['Group'] }] },
        ],
      },
    }),
  );
  const configFiles = [
    path.join(ROOT, 'backstage-config', 'app-config.yaml'),
    path.join(ROOT, 'backstage-config', 'app-config.production.yaml'),
    path.join(work, 'app-config.stack.yaml'),
    path.join(work, 'app-config.test-entities.yaml'),
  ];
  const env = {
    ...process.env,
    ...PORTAL_TEST_ENV,
    ...gitlabEnv({ url: STACK.gitlabUrl, ...STACK }),
    NODE_ENV: 'production',
    BACKSTAGE_BASE_URL: baseUrl,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(dbPort),
    POSTGRES_USER: pg.user,
    POSTGRES_PASSWORD: pg.password,
    BACKEND_EXTERNAL_ACCESS_TOKEN: TOKEN,
  };

  await checkConfig(configFiles, env);
  const t0 = Date.now();
  backend = startBackend({ configFiles, env, port, readyTimeoutMs: 60_000 });
  await backend.ready;
  bootMs = Date.now() - t0;
}, 120_000);

afterAll(async () => {
  await backend?.stop();
  await pg?.stop();
  fs.rmSync(work, { recursive: true, force: true });
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

describe('the portal backend, booted for real', () => {
  it('is ready within the bound, with no error-level log line', () => {
    console.info(`portal backend ready in ${bootMs} ms`);
    expect(bootMs).toBeLessThan(60_000);
    const lines = logLines();
    expect(lines.some((l) => String(l.message).includes('Plugin initialization complete'))).toBe(
      true,
    );
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses a request without a token; the token reaches the catalog', async () => {
    const anonymous = await api('/api/catalog/entities?limit=1', {}, null);
    expect(anonymous.status).toBe(401);
    const wrong = await api('/api/catalog/entities?limit=1', {}, 'wrong-token');
    expect(wrong.status, await wrong.text()).toBe(401);
    expect((await api('/api/catalog/entities?limit=1')).status).toBe(200);
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

  it('lists the in-cluster cluster in the Kubernetes plugin', async () => {
    const res = await api('/api/kubernetes/clusters');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { name: string }[] };
    expect(items.map((c) => c.name)).toEqual(['platform']);
  });

  it('answers TechDocs for the platform System, which has docs (not built yet: not found)', async () => {
    const system = (await (
      await api('/api/catalog/entities/by-name/system/default/platform')
    ).json()) as any;
    expect(system.metadata.annotations['backstage.io/techdocs-ref']).toBe('dir:.');
    const res = await api('/api/techdocs/metadata/techdocs/default/system/platform');
    expect([200, 404]).toContain(res.status);
    if (res.status === 404) {
      expect(((await res.json()) as any).error.name).toBe('NotFoundError');
    }
  });
});

/** A template of dist/ dry-run by the backend, with all its steps: the HTTP status and body. */
async function dryRun(name: string, values: Record<string, unknown>) {
  const dir = path.join(DIST, 'templates', name);
  const res = await api('/api/scaffolder/v2/dry-run', {
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
  });
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

describe('npm run portal with a broken configuration', () => {
  const runPortal = (configFiles: string[], env: NodeJS.ProcessEnv = {}) => {
    const t0 = Date.now();
    const run = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(ROOT, 'scripts', 'portal.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, PORTAL_CONFIG: configFiles.join(',') },
        timeout: 60_000,
      },
    );
    return {
      ...run,
      ms: Date.now() - t0,
      firstLines: `${run.stderr.toString()}${run.stdout.toString()}`.slice(0, 800),
    };
  };

  it("exits at once with Backstage's own error for an unknown key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-broken-'));
    try {
      fs.writeFileSync(path.join(dir, 'typo.yaml'), 'backend:\n  databse:\n    client: pg\n');
      const run = runPortal([
        path.join(ROOT, 'backstage-config', 'app-config.yaml'),
        path.join(dir, 'typo.yaml'),
      ]);
      expect(run.status).toBe(1);
      expect(run.firstLines).toMatch(/^Config validation failed, .*additionalProperty=databse/);
      expect(run.ms).toBeLessThan(30_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("exits at once with Backstage's own error when a required secret is not set", () => {
    const run = runPortal(
      ['app-config.yaml', 'app-config.production.yaml'].map((f) =>
        path.join(ROOT, 'backstage-config', f),
      ),
      { BACKEND_EXTERNAL_ACCESS_TOKEN: undefined },
    );
    expect(run.status).toBe(1);
    expect(run.firstLines).toMatch(/^Config validation failed, /);
    expect(run.firstLines).toContain(
      'missingProperty=token } at /backend/auth/externalAccess/0/options',
    );
    // The child is given 60 s (spawnSync); a loaded two-core machine needs more than the 5 s default.
  }, 90_000);
});
