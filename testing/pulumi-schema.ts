/**
 * Checks resource inputs against a Pulumi provider schema (pulumi-gitlab's, as its snapshot in
 * upstream/ holds it: `npm run import`): known input names, required inputs, types, and the values
 * the provider documents as valid, in their wire form (`read_api`, not `readApi`).
 */
import type { ProviderSnapshot, SnapshotProperty } from '../scripts/upstream/snapshot';
import { readUpstream } from './schemas';

type PropertySpec = SnapshotProperty;

interface ObjectSpec {
  readonly inputProperties?: Record<string, PropertySpec>;
  readonly properties?: Record<string, PropertySpec>;
  readonly requiredInputs?: readonly string[];
  readonly required?: readonly string[];
}

export type ProviderSchema = ProviderSnapshot;

/** The snapshot of the pulumi-gitlab provider schema. */
export const GITLAB_PROVIDER_SNAPSHOT = 'upstream/pulumi-gitlab/schema.yaml';

let cached: ProviderSchema | undefined;

/** The pulumi-gitlab provider schema snapshot, parsed once. */
export function providerSchema(): ProviderSchema {
  cached ??= readUpstream(GITLAB_PROVIDER_SNAPSHOT) as ProviderSchema;
  return cached;
}

/** One message per problem of `value` against `spec` at `at`. */
function checkValue(
  schema: ProviderSchema,
  spec: PropertySpec,
  value: unknown,
  at: string,
  skip: (v: unknown) => boolean,
): string[] {
  if (skip(value)) {
    return [];
  }
  if (spec.$ref !== undefined) {
    const type = schema.types[spec.$ref.replace(/^#\/types\//, '')];
    if (type === undefined) {
      return [`${at}: unknown type ${spec.$ref}`];
    }
    if (type.enum !== undefined) {
      return type.enum.includes(value)
        ? []
        : [`${at}: ${JSON.stringify(value)} is not one of the enum values`];
    }
    return checkObject(schema, type, value, at, skip, false);
  }
  const allowed = spec.values;
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string')
        return [`${at}: expected a string, got ${JSON.stringify(value)}`];
      return allowed !== undefined && !allowed.includes(value)
        ? [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`]
        : [];
    case 'integer':
      return Number.isInteger(value)
        ? []
        : [`${at}: expected an integer, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number'
        ? []
        : [`${at}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean'
        ? []
        : [`${at}: expected a boolean, got ${JSON.stringify(value)}`];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: expected an array, got ${JSON.stringify(value)}`];
      const item: PropertySpec = spec.items ?? {};
      return value.flatMap((v, i) => checkValue(schema, item, v, `${at}[${i}]`, skip));
    }
    case 'object':
      if (value === null || typeof value !== 'object') return [`${at}: expected an object`];
      return spec.additionalProperties !== undefined
        ? Object.entries(value).flatMap(([k, v]) =>
            checkValue(schema, spec.additionalProperties!, v, `${at}.${k}`, skip),
          )
        : [];
    default:
      return [];
  }
}

function checkObject(
  schema: ProviderSchema,
  spec: ObjectSpec,
  value: unknown,
  at: string,
  skip: (v: unknown) => boolean,
  isResource: boolean,
): string[] {
  if (value === null || typeof value !== 'object') {
    return [`${at}: expected an object`];
  }
  const properties = (isResource ? spec.inputProperties : spec.properties) ?? {};
  const required = (isResource ? spec.requiredInputs : spec.required) ?? [];
  const problems: string[] = [];
  for (const key of required) {
    if (!(key in value)) problems.push(`${at}: required input ${key} is missing`);
  }
  for (const [key, v] of Object.entries(value)) {
    const property = properties[key];
    if (property === undefined) {
      problems.push(`${at}: ${key} is not an input of this resource`);
    } else {
      problems.push(...checkValue(schema, property, v, `${at}.${key}`, skip));
    }
  }
  return problems;
}

/**
 * Problems of the inputs sent for a resource type token (or `pulumi:providers:<pkg>` for the
 * provider) against the schema. `skip` passes values the check cannot see (secrets, unknowns).
 */
export function checkInputs(
  schema: ProviderSchema,
  token: string,
  inputs: unknown,
  skip: (v: unknown) => boolean = () => false,
): string[] {
  const spec = token.startsWith('pulumi:providers:') ? schema.provider : schema.resources[token];
  if (spec === undefined) {
    return [`${token} is not a resource of the provider schema`];
  }
  return checkObject(schema, spec, inputs, token, skip, true);
}
