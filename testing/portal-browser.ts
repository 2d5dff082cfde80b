/**
 * The portal as `npm run portal` serves it, for the browser tests: the backend of this checkout
 * with the local-development layer (guest sign-in), on a real PostgreSQL, the catalog and
 * templates from dist/, and Chromium. What a test run adds is in one more layer of its own (see
 * startLocalPortal). Nothing leaves the machine: every request to another origin is aborted, and
 * so are the GitLab plugin's requests, which the backend would forward to the GitLab host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { stringify } from 'yaml';
import {
  checkConfig,
  freePort,
  startBackend,
  type Backend,
  type Postgres,
} from '../backstage-config/backend/src/launch';
import { readConfigLayer } from '../infra/backstage-config';
import { launchChromium, watchPage } from './browser';
import { startTestPostgres, stopPortalRun } from './portal-fixture';

const ROOT = path.resolve(__dirname, '..');

/** A catalog file the run adds beside the platform's, and the kinds it may define. */
export interface ExtraLocation {
  readonly file: string;
  readonly allow: readonly string[];
}

export interface LocalPortal {
  readonly baseUrl: string;
  /** The run's folder (its PostgreSQL, TechDocs' sites under `techdocs/`, added catalog files). */
  readonly work: string;
  readonly browser: Browser;
  /** Everything the backend logged so far. */
  readonly log: () => string;
  stop(): Promise<void>;
}

/**
 * Boots the portal with the layers `npm run portal` reads and one of the run's own: the port,
 * TechDocs' sites in the run's folder, the catalog files `locations` adds (config arrays replace
 * those of earlier layers, so the base layer's locations are repeated), and `layer` merged in.
 */
export async function startLocalPortal(o: {
  work: string;
  locations: (work: string) => readonly ExtraLocation[];
  layer?: Record<string, unknown>;
}): Promise<LocalPortal> {
  const { work } = o;
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  let pg: Postgres | undefined;
  let backend: Backend | undefined;
  try {
    pg = await startTestPostgres(work);
    const baseLocations = (readConfigLayer('app-config.yaml').catalog as { locations: unknown[] })
      .locations;
    fs.writeFileSync(
      path.join(work, 'app-config.test.yaml'),
      stringify({
        ...o.layer,
        app: { baseUrl },
        backend: { baseUrl },
        techdocs: {
          publisher: { type: 'local', local: { publishDirectory: path.join(work, 'techdocs') } },
        },
        catalog: {
          locations: [
            ...baseLocations,
            ...o
              .locations(work)
              .map((l) => ({ type: 'file', target: l.file, rules: [{ allow: [...l.allow] }] })),
          ],
        },
      }),
    );
    const configFiles = [
      path.join(ROOT, 'backstage-config', 'app-config.yaml'),
      path.join(ROOT, 'backstage-config', 'app-config.local.yaml'),
      path.join(work, 'app-config.test.yaml'),
    ];
    const env = {
      PATH: process.env.PATH,
      HOME: work,
      NODE_ENV: 'development',
      PORTAL_DB_PORT: String(pg.port),
      PORTAL_DB_USER: pg.user,
      PORTAL_DB_PASSWORD: pg.password,
    };
    await checkConfig(configFiles, env);
    backend = startBackend({ configFiles, env, port, readyTimeoutMs: 180_000 });
    await backend.ready;
    const browser = await launchChromium();
    return {
      baseUrl,
      work,
      browser,
      log: backend.log,
      stop: async () => {
        await browser.close();
        await stopPortalRun({ backend, pg, work });
      },
    };
  } catch (e) {
    await stopPortalRun({ backend, pg, work });
    throw e;
  }
}

export interface SignedIn {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors, console errors, failed requests and HTTP errors, as they come. */
  readonly problems: string[];
  /** The requests aborted because they would leave the machine. */
  readonly outside: string[];
}

/** A new context of `portal`, signed in as guest, on `target`; the page's problems collected. */
export async function signedIn(portal: LocalPortal, target: string): Promise<SignedIn> {
  const context = await portal.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const outside: string[] = [];
  await context.route(
    (url) => url.origin !== portal.baseUrl || url.pathname.startsWith('/api/gitlab/'),
    async (route) => {
      outside.push(route.request().url());
      await route.abort();
    },
  );
  const page = await context.newPage();
  const { problems } = watchPage(page);
  // Any page of the app asks to sign in first, then shows itself.
  await page.goto(`${portal.baseUrl}${target}`);
  await page.getByText('Enter as a Guest User').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByText('Enter as a Guest User').waitFor({ state: 'detached', timeout: 60_000 });
  return { context, page, problems, outside };
}

/**
 * Another page of the app, loaded anew. Leaving a page aborts what it was still fetching from the
 * backend (the script chunks the bundle prefetches, a catalog filter's facets): those aborts, and
 * only those, are not problems.
 */
export async function visit(portal: LocalPortal, s: SignedIn, target: string): Promise<void> {
  await s.page.waitForLoadState('networkidle', { timeout: 60_000 });
  const before = s.problems.length;
  await s.page.goto(`${portal.baseUrl}${target}`);
  const aborted = new RegExp(`^failed: ${portal.baseUrl}/[^ ]+ net::ERR_ABORTED$`);
  const during = s.problems.splice(before).filter((p) => !aborted.test(p));
  s.problems.push(...during);
}

/** The problems but those of the aborted requests that would leave the machine. */
export const unexpected = (s: SignedIn): string[] =>
  s.problems.filter((p) => !s.outside.some((u) => p.includes(u)));
