/**
 * The portal's configuration schema: the schemas that the backend's and the app's packages and
 * their dependencies publish (most as `config.d.ts`, which only TypeScript can read: seconds of
 * CPU), and the backend's own `config.schema.json`. `npm run build:portal` collects it once and
 * writes its serialized form beside the compiled backend (`dist/.config-schema.json`, as the
 * Backstage CLI writes the app's), which the backend then reads at every start instead of
 * compiling the plugins' types again (src/root-logger.ts); the image ships it in dist/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';

/**
 * Backstage's config loader, required when first used: a start of `npm run portal` whose
 * configuration passed the check before (src/launch.ts) needs none of it.
 */
function loadConfigSchema(
  ...args: Parameters<typeof import('@backstage/config-loader').loadConfigSchema>
): Promise<ConfigSchema> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require('@backstage/config-loader') as typeof import('@backstage/config-loader');
  return loader.loadConfigSchema(...args);
}

export const BACKEND_DIR = path.resolve(__dirname, '..');
/** The app workspace the backend serves (plugin-app-backend, `app.packageName`). */
export const APP_DIR = path.resolve(BACKEND_DIR, '..', 'app');
/** Its package's name, as the base config layer's `app.packageName` gives it. */
export const APP_PACKAGE = '@platform/portal-app';
/** The packages whose dependencies' schemas make the portal's: the backend's and the app's. */
export const PACKAGE_PATHS = [
  path.join(BACKEND_DIR, 'package.json'),
  path.join(APP_DIR, 'package.json'),
];
/** Where the build writes the serialized schema. */
export const BUILT_CONFIG_SCHEMA = path.join(BACKEND_DIR, 'dist', '.config-schema.json');

/**
 * Collects the schema from the installed packages, as `backstage-cli config:check` does (and
 * as Backstage's root logger does to find the secrets it redacts): the dependencies of both
 * packages and the packages themselves. `strict`: undeclared keys are errors.
 */
export async function collectConfigSchema(strict: boolean): Promise<ConfigSchema> {
  const dependencies = PACKAGE_PATHS.flatMap((p) =>
    Object.keys(
      (JSON.parse(fs.readFileSync(p, 'utf8')) as { dependencies: Record<string, string> })
        .dependencies,
    ),
  );
  return loadConfigSchema({
    dependencies: [...new Set(dependencies)],
    packagePaths: [...PACKAGE_PATHS],
    noUndeclaredProperties: strict,
  });
}

/** Writes `schema`'s serialized form to `file`, under a unique name first, then renamed. */
export function writeSerialized(schema: ConfigSchema, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, JSON.stringify(schema.serialize()));
  fs.renameSync(partial, file);
}

/** The schema serialized in `file` (compiled again: no TypeScript), or undefined without it. */
export async function readSerialized(
  file: string,
  strict: boolean,
): Promise<ConfigSchema | undefined> {
  if (!fs.existsSync(file)) return undefined;
  const serialized = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject;
  return loadConfigSchema({ serialized, noUndeclaredProperties: strict });
}
