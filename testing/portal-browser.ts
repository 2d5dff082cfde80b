/**
 * The portal as `npm run portal` serves it, for the browser tests: the backend of this checkout
 * with the local-development layer (guest sign-in), on a real PostgreSQL, the catalog and
 * templates from dist/, and Chromium. What a test run adds is in one more layer of its own (see
 * startLocalPortal). Nothing leaves the machine: every request to another origin is aborted, and
 * so are the GitLab plugin's requests, which the backend would forward to the GitLab host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { stringify } from 'yaml';
import {
  checkConfig,
  freePort,
  startBackend,
  type Backend,
  type Postgres,
} from '../backstage-config/backend/src/launch';
import { readConfigLayer } from '../infra/backstage-config';
import { launchChromium, signInAsGuest, type SignedIn } from './browser';

export { unexpected, type SignedIn } from './browser';
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

/** A new context of `portal`, signed in as guest, on `target`; the page's problems collected. */
export function signedIn(portal: LocalPortal, target: string): Promise<SignedIn> {
  // The GitLab plugin reaches GitLab through the backend's proxy: those requests would leave too.
  return signInAsGuest(portal.browser, portal.baseUrl, target, (url) =>
    url.pathname.startsWith('/api/gitlab/'),
  );
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
