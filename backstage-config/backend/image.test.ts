/**
 * The portal image without Docker: the Dockerfile's runtime stage replayed in a temporary folder
 * (same files copied, the same `npm ci` with production dependencies only, the app as its build
 * left it), then the image's CMD booted from there against a real PostgreSQL with the production
 * layer and a stack layer, serving the app. "Works in the repository, crashes in the image" (a
 * devDependency at run time, TypeScript at run time, a file the image lacks) fails here. Then the
 * production sign-in in Chromium: GitLab only, its authorize URL intercepted (nothing reaches a
 * GitLab server).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigLayer, signInScopes } from '../../infra/backstage-config';
import { gitlabEnv } from '../../infra/backstage-spec';
import { launchChromium, watchPage } from '../../testing/browser';
import { replayRuntimeStage, type Replayed } from '../../testing/dockerfile';
import { screenshotPath } from '../../testing/screenshots';
import { PORTAL_TEST_ENV } from '../../testing/portal-env';
import { BOUNDARY_STACKS } from '../../testing/template-stack';
import {
  portalWorkDir,
  startTestPostgres,
  writeStackLayer,
  stopPortalRun,
} from '../../testing/portal-fixture';
import { freePort, startBackend, type Backend, type Postgres } from './src/launch';

const ROOT = path.resolve(__dirname, '..', '..');
const STACK = BOUNDARY_STACKS.longest;
const CLIENT_ID = 'portal-oauth-client-id';
/** The stack's portalTitle and organizationName, as its generated layer carries them. */
const STACK_TEXTS = { portalTitle: 'ACME developer portal', organizationName: 'ACME' };

let work: string;
let image: Replayed;
let pg: Postgres | undefined;
let backend: Backend | undefined;
let browser: Browser | undefined;
let baseUrl: string;

beforeAll(async () => {
  // The built app is made once before any file runs (testing/global-setup.ts); a loaded
  // two-core machine takes minutes for the production install.
  work = portalWorkDir('portal-image-');
  image = replayRuntimeStage({
    dockerfile: path.join(ROOT, 'backstage-config', 'backend', 'Dockerfile'),
    context: ROOT,
    root: path.join(work, 'image'),
    timeoutMs: 900_000,
  });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  pg = await startTestPostgres(work);
  const stackLayerFile = writeStackLayer(work, STACK_TEXTS);
  // The image's read-only root file system: the app is served as built, never rewritten.
  for (const e of fs.readdirSync(image.workdir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.parentPath.includes(`${path.sep}dist`)) {
      fs.chmodSync(path.join(e.parentPath, e.name), 0o444);
    }
  }
  const [node, ...args] = image.cmd;
  expect(node).toBe('node');
  const entryArgs = args.slice(0, args.indexOf('--config'));
  const cmdConfigs = args
    .filter((_, i) => args[i - 1] === '--config')
    .map((f) => path.resolve(image.workdir, f));
  backend = startBackend({
    configFiles: [...cmdConfigs, stackLayerFile],
    env: {
      PATH: process.env.PATH,
      HOME: work,
      ...PORTAL_TEST_ENV,
      ...gitlabEnv({ url: STACK.gitlabUrl, ...STACK }),
      ...image.env,
      AUTH_GITLAB_CLIENT_ID: CLIENT_ID,
      BACKSTAGE_BASE_URL: baseUrl,
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pg.port),
      POSTGRES_USER: pg.user,
      POSTGRES_PASSWORD: pg.password,
    },
    port,
    readyTimeoutMs: 120_000,
    entry: { cwd: image.workdir, args: entryArgs },
  });
  await backend.ready;
  browser = await launchChromium();
}, 1_500_000);

afterAll(async () => {
  await browser?.close();
  // The production install is some 40,000 files: removed asynchronously (minutes on a loaded disk).
  await stopPortalRun({ backend, pg, work });
}, 600_000);

describe(
  'the portal image, installed as the Dockerfile does and booted',
  { timeout: 120_000 },
  () => {
    it('runs only npm for the install; what it cannot run here installs mkdocs only', () => {
      expect(image.env.NODE_ENV).toBe('production');
      expect(image.skipped).toHaveLength(1);
      expect(image.skipped[0]).toMatch(
        /pip install --no-cache-dir -r \/tmp\/mkdocs-requirements\.txt/,
      );
      // Production dependencies only: neither the TypeScript runner nor the Backstage CLI.
      const modules = path.join(path.dirname(path.dirname(image.workdir)), 'node_modules');
      expect(fs.existsSync(path.join(modules, '@backstage', 'plugin-app-backend'))).toBe(true);
      expect(fs.existsSync(path.join(modules, 'tsx'))).toBe(false);
      expect(fs.existsSync(path.join(modules, '@backstage', 'cli'))).toBe(false);
    });

    it('serves the built app from its own origin, with the configuration injected', async () => {
      const res = await fetch(`${baseUrl}/catalog`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<div id="root"></div>');
      // plugin-app-backend injects the frontend's configuration into index.html.tmpl's output
      // (the built files stay read-only): what the browser reads is the layers' frontend keys.
      const injected = /<script type="backstage.io\/config">([\s\S]*?)<\/script>/.exec(html)?.[1];
      expect(injected).toBeDefined();
      const app = (JSON.parse(injected!) as { context: string; data: any }[]).find(
        (c) => c.context === 'app',
      )?.data;
      expect(app?.app?.baseUrl).toBe(baseUrl);
      expect(app?.backend?.baseUrl).toBe(baseUrl);
      expect(app?.platform?.signIn?.providers).toEqual(['gitlab']);
      // The stack's title and organization, from its layer, in the one image every stack runs.
      expect(app?.app?.title).toBe(STACK_TEXTS.portalTitle);
      expect(app?.organization?.name).toBe(STACK_TEXTS.organizationName);
      expect(html).toContain(`<title>${STACK_TEXTS.portalTitle}</title>`);
      // Secrets are backend-only: none reaches the page.
      for (const secret of [
        pg!.password,
        PORTAL_TEST_ENV.AUTH_GITLAB_CLIENT_SECRET,
        PORTAL_TEST_ENV.GITLAB_TOKEN,
        PORTAL_TEST_ENV.GITLAB_SCAFFOLDER_TOKEN,
        PORTAL_TEST_ENV.BACKEND_EXTERNAL_ACCESS_TOKEN,
      ]) {
        expect(html).not.toContain(secret);
      }
      const script = /src="(\/static\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${baseUrl}${script}`)).status).toBe(200);
      expect(backend!.log()).not.toMatch(/events backend not found/i);
      // The image's schema worker found the secrets and compiled the app's schema: no fallback.
      expect(backend!.log()).not.toMatch(/config schema worker/i);
      // The backend's plugins answer beside the app: the catalog refuses a request without a token.
      expect((await fetch(`${baseUrl}/api/catalog/entities`)).status).toBe(401);
      const start = await fetch(`${baseUrl}/api/auth/gitlab/start?env=production`, {
        redirect: 'manual',
      });
      expect(start.status).toBe(302);
      expect(start.headers.get('location')).toContain('/oauth/authorize');
    });

    it('signs in with GitLab only: the authorize URL has the client id, redirect URI and scopes', async () => {
      const context = await browser!.newContext();
      const authorize: URL[] = [];
      const gitlab = new URL(STACK.gitlabUrl);
      // Nothing reaches GitLab: its authorize request (in the sign-in popup) is recorded and aborted.
      await context.route(`${gitlab.origin}/**`, async (route) => {
        authorize.push(new URL(route.request().url()));
        await route.abort();
      });
      const page = await context.newPage();
      const watched = watchPage(page);
      await page.goto(`${baseUrl}/`);
      await page.getByText('Sign in with your GitLab account').waitFor({ timeout: 60_000 });
      // The stack's portalTitle, as the sign-in page's header and in the browser tab's title
      // (which the app composes as "<page> | <app title>").
      expect(await page.getByTestId('header-title').innerText()).toBe(STACK_TEXTS.portalTitle);
      expect(await page.title()).toMatch(new RegExp(`(^| \\| )${STACK_TEXTS.portalTitle}$`));
      expect(await page.getByText(/guest/i).count()).toBe(0);
      await page.screenshot({ path: screenshotPath('sign-in') });
      const popup = context.waitForEvent('page', { timeout: 30_000 });
      await page.getByRole('button', { name: /sign in/i }).click();
      await (await popup).waitForEvent('requestfailed', { timeout: 30_000 }).catch(() => undefined);
      await expect.poll(() => authorize.length, { timeout: 30_000 }).toBeGreaterThan(0);
      const url = authorize[0];
      expect(url.pathname).toBe(`${gitlab.pathname.replace(/\/$/, '')}/oauth/authorize`);
      expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
      expect(url.searchParams.get('redirect_uri')).toBe(`${baseUrl}/api/auth/gitlab/handler/frame`);
      expect(new Set(url.searchParams.get('scope')!.split(/[ +]/))).toEqual(
        new Set(signInScopes()),
      );
      // Signed out, the app asks the backend whether a session exists: 401s are the answer.
      expect(watched.problems.filter((p) => !/401|Unauthorized/.test(p))).toEqual([]);
      await context.close();
      expect(readConfigLayer('app-config.production.yaml')).not.toHaveProperty(
        'auth.providers.guest',
      );
    });
  },
);
