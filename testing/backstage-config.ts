/**
 * Reading the portal's config layers the way Backstage does (YAML, `${VAR}` substitution, later
 * layers override earlier ones) and validating them against the config schemas Backstage's own
 * packages publish, as @backstage/config-loader collects them from the portal backend's
 * dependencies (each package's config.schema.json or config.d.ts at its installed version).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { serializedPortalConfigSchema } from '../backstage-config/backend/src/launch';
import { readConfigLayer } from '../infra/backstage-config';
import { closeSchema } from './schemas';
import type { StructuralSchema } from './field-path';

/**
 * The packages whose schemas are closed against unknown keys inside what they own: those whose
 * keys the layers set in entries a package fully owns (an integration, a catalog provider, an
 * auth provider environment, the backend's own settings).
 */
export const CLOSED_SCHEMA_PACKAGES = [
  '@backstage/backend-defaults',
  '@backstage/integration',
  '@backstage/plugin-auth-backend-module-gitlab-provider',
  '@backstage/plugin-catalog-backend-module-gitlab',
  '@backstage/plugin-kubernetes-backend',
  '@backstage/plugin-techdocs-backend',
] as const;

type Json = Record<string, unknown>;

export function substitute(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => {
      if (!(name in env)) {
        throw new Error(`\${${name}} is not provided`);
      }
      return env[name];
    });
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, env));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env)]));
  }
  return value;
}

function merge(base: unknown, override: unknown): unknown {
  if (
    base !== null &&
    typeof base === 'object' &&
    !Array.isArray(base) &&
    override !== null &&
    typeof override === 'object' &&
    !Array.isArray(override)
  ) {
    const out: Json = { ...(base as Json) };
    for (const [k, v] of Object.entries(override)) {
      out[k] = merge(out[k], v);
    }
    return out;
  }
  return override === undefined ? base : override;
}

/** The merged configuration of `files` (in order), with `${VAR}`s substituted from `env`. */
export function loadConfigLayers(
  files: readonly string[],
  env: Readonly<Record<string, string>>,
): Json {
  return files.map((f) => substitute(readConfigLayer(f), env)).reduce<unknown>(merge, {}) as Json;
}

/** Every `${VAR}` the values of a layer reference (comments excluded). */
export function referencedEnv(file: string): string[] {
  const text = JSON.stringify(readConfigLayer(file));
  return [...new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]))].sort();
}

/**
 * A package's schema, closed against unknown keys inside the entries it fully owns: the
 * subtrees below `closedPaths` and every list item or map entry (an integration, a catalog
 * provider, an auth provider environment). Keys other packages add elsewhere stay open.
 */
function ownedSchema(schema: StructuralSchema, closedPaths: readonly string[]): StructuralSchema {
  const visit = (node: StructuralSchema, at: string): StructuralSchema => {
    const properties = node.properties;
    if (properties === undefined) {
      const entry =
        node.items ??
        (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      if (entry === undefined) return node;
      const closed = closeSchema(entry);
      return node.items !== undefined
        ? { ...node, items: closed }
        : { ...node, additionalProperties: closed };
    }
    if (closedPaths.includes(at)) {
      return closeSchema(node);
    }
    return {
      ...node,
      properties: Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, visit(v, at === '' ? k : `${at}.${k}`)]),
      ),
    };
  };
  return visit(schema, '');
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
const validators = new Map<string, Promise<{ name: string; validate: ValidateFunction }[]>>();

/** The closed validators of CLOSED_SCHEMA_PACKAGES, from the schemas the backend collects. */
function packageValidators(
  closedPaths: readonly string[],
): Promise<{ name: string; validate: ValidateFunction }[]> {
  const key = closedPaths.join('\n');
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const loading = (async () => {
    const { schemas } = (await serializedPortalConfigSchema()) as unknown as {
      schemas: { path: string; packageName?: string; value: StructuralSchema }[];
    };
    return CLOSED_SCHEMA_PACKAGES.map((name) => {
      // The package the backend depends on directly (a nested copy is another package's).
      const entry = schemas.find(
        (s) => s.packageName === name && s.path.startsWith(`node_modules/${name}/`),
      );
      if (entry === undefined) {
        throw new Error(`${name} publishes no config schema the portal backend collects`);
      }
      return { name, validate: ajv.compile(ownedSchema(entry.value, closedPaths)) };
    });
  })();
  validators.set(key, loading);
  return loading;
}

/**
 * Validates a merged configuration against the config schema of every package in
 * CLOSED_SCHEMA_PACKAGES; one message per problem.
 */
export async function validateBackstageConfig(
  config: Json,
  closedPaths: readonly string[] = ['backend'],
): Promise<string[]> {
  return (await packageValidators(closedPaths)).flatMap(({ name, validate }) =>
    validate(config)
      ? []
      : (validate.errors ?? []).map((e) => {
          const extra =
            e.keyword === 'additionalProperties'
              ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})`
              : '';
          return `${name}: ${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
        }),
  );
}
