/**
 * The portal's configuration checked before it starts (`npm run portal`, the tests that boot it):
 * the layers with their `${VAR}` references substituted, against the schema of the portal's
 * packages, as `backstage-cli config:check --strict` checks them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { parse } from 'yaml';
import {
  BACKEND_DIR,
  collectConfigSchema,
  PACKAGE_PATHS,
  readSerialized,
  writeSerialized,
} from './config-schema';

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

/** The file in `cacheDir` that keeps the schema of what is installed now (none without a key). */
export function keptSchemaFile(cacheDir: string): string | undefined {
  const key = schemaKey();
  return key !== undefined ? path.join(cacheDir, `${key}.json`) : undefined;
}

/** How the schema is compiled when no kept one serves: from the packages, strict. */
type Compile = () => Promise<ConfigSchema>;
const fromPackages: Compile = () => collectConfigSchema(true);

/** The schema serialized in `file`, or compiled (from the packages) and written there. */
async function loadKept(file: string | undefined, compile: Compile): Promise<ConfigSchema> {
  const reused = file !== undefined ? await readSerialized(file, true) : undefined;
  if (reused !== undefined) return reused;
  const schema = await compile();
  if (file !== undefined) writeSerialized(schema, file);
  return schema;
}

/**
 * Loads the schema as `backstage-cli config:check` does: it compiles every plugin's
 * `config.d.ts` with TypeScript, seconds of CPU. Its serialized form is kept under the key of
 * what it is made of and reused while that has not changed. `compile` is how it is compiled
 * when nothing kept serves (a test of the keeping passes a small schema's).
 */
export function loadPortalConfigSchema(
  cacheDir: string = SCHEMA_CACHE,
  compile: Compile = fromPackages,
): Promise<ConfigSchema> {
  return loadKept(keptSchemaFile(cacheDir), compile);
}

/**
 * The schemas this process loaded, by the file they were kept in (or the cache folder, without
 * one) and its content (none yet: compiled from the packages). Reading a serialized schema costs
 * a second or two of Ajv compilation; a file replaced since is read again.
 */
const loaded = new Map<string, Promise<ConfigSchema>>();

function loadedSchema(
  cacheDir: string,
  file: string | undefined = keptSchemaFile(cacheDir),
): Promise<ConfigSchema> {
  const id = (): string => {
    const content =
      file !== undefined && fs.existsSync(file)
        ? createHash('sha256').update(fs.readFileSync(file)).digest('hex')
        : '';
    return `${file ?? cacheDir}\0${content}`;
  };
  const before = id();
  let schema = loaded.get(before);
  if (schema === undefined) {
    schema = loadKept(file, fromPackages);
    loaded.set(before, schema);
    schema.then(
      // Compiled and written: the file now read would give the same schema.
      (s) => void loaded.set(id(), Promise.resolve(s)),
      // A load that failed is tried again by the next caller.
      () => loaded.delete(before),
    );
  }
  return schema;
}

/**
 * The configuration schema of the portal's backend: the schemas its dependencies (the plugins
 * and modules) publish and its own `config.schema.json`, with undeclared keys as errors
 * (as `backstage-cli config:check --strict`). Loaded once per process.
 */
export function portalConfigSchema(): Promise<ConfigSchema> {
  return loadedSchema(SCHEMA_CACHE);
}

/**
 * The portal's schema in its serialized form (what `ConfigSchema.serialize()` returns: every
 * package's schema as data), read from the kept file without compiling it when it is there.
 */
export async function serializedPortalConfigSchema(): Promise<JsonObject> {
  const file = keptSchemaFile(SCHEMA_CACHE);
  if (file !== undefined && fs.existsSync(file)) {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject;
  }
  return (await portalConfigSchema()).serialize();
}

/** The config files' data with `env` substituted, as the backend gets it, named by file. */
export function substitutedConfigs(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
): { context: string; data: JsonObject }[] {
  return files.map((file) => ({
    context: path.basename(file),
    data: substitute(parse(fs.readFileSync(file, 'utf8')), env) as JsonObject,
  }));
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
  const configs = substitutedConfigs(files, env);
  const schemaFile = keptSchemaFile(cacheDir);
  const verdict = (): string | undefined =>
    schemaFile !== undefined && fs.existsSync(schemaFile)
      ? verdictFile(cacheDir, schemaFile, configs)
      : undefined;
  const before = verdict();
  if (before !== undefined && fs.existsSync(before)) return 'unchanged';
  const schema = await loadedSchema(cacheDir, schemaFile);
  schema.process(configs);
  const after = before ?? verdict();
  if (after !== undefined) keepVerdict(after);
  return 'checked';
}
