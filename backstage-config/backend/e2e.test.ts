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
import { gitlabSignIn, signInScopes } from '../../infra/backstage-config';
import { stackConfigLayer } from '../../infra/backstage';
import { filesUnder, renderSkeleton } from '../../testing/scaffolder';
import { PORTAL_TEST_ENV } from '../../testing/portal-env';
import { exampleRenderValues, TEMPLATE_EXAMPLES } from '../../testing/template-examples';
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
  const configFiles = [
    path.join(ROOT, 'backstage-config', 'app-config.yaml'),
    path.join(ROOT, 'backstage-config', 'app-config.production.yaml'),
    path.join(work, 'app-config.stack.yaml'),
  ];
  const env = {
    ...process.env,
    ...PORTAL_TEST_ENV,
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

  it.each(Object.keys(TEMPLATE_EXAMPLES))(
    'dry-runs the %s template to the same files as the offline render',
    async (name) => {
      const dir = path.join(DIST, 'templates', name);
      const template = parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'));
      const { parameters, derived } = TEMPLATE_EXAMPLES[name];
      // Steps that call GitLab or look up entities GitLab would have created are left out; the
      // render step gets the values they would have produced.
      const render = template.spec.steps.find((s: any) => s.action === 'fetch:template');
      const offlineValues = exampleRenderValues(name, render.input.values);
      render.input.values = Object.fromEntries(
        Object.entries(render.input.values).map(([k, v]) => [k, k in derived ? derived[k] : v]),
      );
      template.spec.steps = [render];
      template.spec.output = {};
      const res = await api('/api/scaffolder/v2/dry-run', {
        method: 'POST',
        body: JSON.stringify({
          template,
          values: parameters,
          secrets: {},
          directoryContents: Object.entries(filesUnder(path.join(dir, 'skeleton'), 'skeleton')).map(
            ([file, content]) => ({
              path: file,
              base64Content: Buffer.from(content, 'utf8').toString('base64'),
            }),
          ),
        }),
      });
      const body = (await res.json()) as any;
      expect(res.status, JSON.stringify(body).slice(0, 2000)).toBe(200);
      const produced = Object.fromEntries(
        (body.directoryContents as { path: string; base64Content: string }[]).map((f) => [
          f.path,
          Buffer.from(f.base64Content, 'base64').toString('utf8'),
        ]),
      );
      const offline = await renderSkeleton(dir, {
        url: render.input.url,
        ...(render.input.targetPath !== undefined ? { targetPath: render.input.targetPath } : {}),
        trimBlocks: render.input.trimBlocks === true,
        lstripBlocks: render.input.lstripBlocks === true,
        values: offlineValues,
      });
      expect(produced).toEqual(offline);
    },
  );

  it('sends sign-in to GitLab with the OAuth application, its callback URL and scopes', async () => {
    const res = await api('/api/auth/gitlab/start?env=production', {}, null);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(
      'https://gitlab.example.com/oauth/authorize',
    );
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
  });

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
  });
});
