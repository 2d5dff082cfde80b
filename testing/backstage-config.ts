/**
 * Reading the portal's config layers the way Backstage does (YAML, `${VAR}` substitution, later
 * layers override earlier ones) and validating them against the config schemas Backstage's own
 * packages publish (../shared/schemas/backstage/config-schemas).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { readConfigLayer } from '../infra/backstage-config';
import { closeSchema, SHARED_SCHEMAS } from './schemas';
import type { StructuralSchema } from './field-path';

const SCHEMA_DIR = path.join(SHARED_SCHEMAS, 'backstage', 'config-schemas');

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
let validators: { file: string; validate: ValidateFunction }[] | undefined;

/** Validates a merged configuration against every package schema in shared/; one message per problem. */
export function validateBackstageConfig(
  config: Json,
  closedPaths: readonly string[] = ['backend'],
): string[] {
  validators ??= fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      validate: ajv.compile(
        ownedSchema(
          JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as StructuralSchema,
          closedPaths,
        ),
      ),
    }));
  return validators.flatMap(({ file, validate }) =>
    validate(config)
      ? []
      : (validate.errors ?? []).map((e) => {
          const extra =
            e.keyword === 'additionalProperties'
              ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})`
              : '';
          return `${file}: ${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
        }),
  );
}
