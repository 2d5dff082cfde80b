/**
 * Validation of Kubernetes objects against the real upstream schemas, for tests:
 * - core kinds against the Kubernetes OpenAPI, through the validators `kubernetes-models` ships;
 * - custom resources against the CRDs in ../shared/schemas (Crossplane, Kro, CloudNativePG),
 *   with ajv over the served version's `openAPIV3Schema`.
 * Both reject unknown fields, as the API server does with strict field validation (kubectl's
 * default).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { parseFieldPath, schemaAt, type StructuralSchema } from './field-path';

/** ../shared/schemas, beside the repository. */
export const SHARED_SCHEMAS = path.resolve(__dirname, '..', '..', 'shared', 'schemas');

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly [key: string]: unknown;
}

interface CrdVersion {
  readonly file: string;
  readonly schema: StructuralSchema;
}

let crdIndex: Map<string, CrdVersion> | undefined;

function gvk(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** Every served version of every CRD file in ../shared/schemas, by `apiVersion/kind`. */
function crds(): Map<string, CrdVersion> {
  if (crdIndex !== undefined) {
    return crdIndex;
  }
  crdIndex = new Map();
  const files = fs
    .readdirSync(SHARED_SCHEMAS, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  for (const file of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(SHARED_SCHEMAS, file), 'utf8'))) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: {
          group: string;
          names: { kind: string };
          versions: {
            name: string;
            served: boolean;
            schema: { openAPIV3Schema: StructuralSchema };
          }[];
        };
      };
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec === undefined) {
        continue;
      }
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        crdIndex.set(gvk(`${crd.spec.group}/${version.name}`, crd.spec.names.kind), {
          file,
          schema: version.schema.openAPIV3Schema,
        });
      }
    }
  }
  return crdIndex;
}

/** The upstream CRD schema of a custom resource kind, or undefined when none is in shared/. */
export function crdSchema(apiVersion: string, kind: string): StructuralSchema | undefined {
  return crds().get(gvk(apiVersion, kind))?.schema;
}

/**
 * A copy of a structural schema in which every object that declares properties rejects the
 * ones it does not declare, unless it preserves unknown fields.
 */
export function closeSchema(schema: StructuralSchema): StructuralSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      return node.map(visit);
    }
    if (node === null || typeof node !== 'object') {
      return node;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      // Keys inside `properties` are field names, not keywords: visit their values only.
      out[key] =
        key === 'properties' && value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]))
          : visit(value);
    }
    if (
      out.properties !== undefined &&
      out.additionalProperties === undefined &&
      out['x-kubernetes-preserve-unknown-fields'] !== true
    ) {
      out.additionalProperties = false;
    }
    return out;
  };
  return visit(schema) as StructuralSchema;
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false, validateFormats: true });
addFormats(ajv);
const compiled = new Map<object, ValidateFunction>();

/** An ajv validator for a structural schema, closed against unknown fields; cached. */
export function structuralValidator(schema: StructuralSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(closeSchema(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})`
        : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}

/** Validates `value` against a structural schema; returns one message per problem. */
export function validateAgainstSchema(schema: StructuralSchema, value: unknown): string[] {
  const validate = structuralValidator(schema);
  return validate(value) ? [] : formatAjvErrors(validate.errors);
}

interface ModelValidationError extends Error {
  readonly errors?: readonly ErrorObject[];
}

type CoreModel = new (data: object) => { validate(): void };

function coreModel(apiVersion: string, kind: string): CoreModel | undefined {
  const modulePath = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modulePath) as Record<string, CoreModel>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

/** Errors (instancePath, message) the core model reports for `data`, or [] when valid. */
function coreErrors(model: CoreModel, data: object): readonly ErrorObject[] {
  try {
    new model(data).validate();
    return [];
  } catch (e) {
    const errors = (e as ModelValidationError).errors;
    if (errors === undefined) {
      throw e;
    }
    return errors;
  }
}

/** Child paths of `value` (object keys and array indexes) below `prefix`. */
function childPaths(value: unknown, prefix: (string | number)[]): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.map((_, i) => [...prefix, i]);
  }
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).map((k) => [...prefix, k]);
  }
  return [];
}

function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  return segments.reduce<unknown>((node, s) => (node as Record<string | number, unknown>)[s], root);
}

function withValueAt(root: object, segments: (string | number)[], value: unknown): object {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of segments.slice(0, -1)) {
    node = node[segment] as Record<string | number, unknown>;
  }
  node[segments[segments.length - 1]] = value;
  return copy;
}

const pointer = (segments: readonly (string | number)[]): string =>
  segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * True when the Kubernetes OpenAPI declares the field at `segments` of a core kind. The compiled
 * validators do not reject unknown fields, so a field counts as declared when a value of a wrong
 * type placed there (a boolean, then a fraction) is rejected exactly at that path: an undeclared
 * field accepts anything.
 */
function coreFieldDeclared(model: CoreModel, data: object, segments: (string | number)[]): boolean {
  const at = pointer(segments);
  return [true, 1.5].some((probe) =>
    coreErrors(model, withValueAt(data, segments, probe)).some((e) => e.instancePath === at),
  );
}

/** Validates an object against its upstream schema; returns one message per problem. */
export function validateObject(object: object): string[] {
  const obj = object as KubernetesObject;
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return ['/ must have string apiVersion and kind'];
  }
  const crd = crds().get(gvk(obj.apiVersion, obj.kind));
  if (crd !== undefined) {
    return validateAgainstSchema(crd.schema, obj);
  }
  const model = coreModel(obj.apiVersion, obj.kind);
  if (model === undefined) {
    return [`no upstream schema for ${obj.apiVersion} ${obj.kind}`];
  }
  const problems = formatAjvErrors(coreErrors(model, obj));
  // Top-down, so that an unknown object is reported once, not once per field below it.
  const pending = childPaths(obj, []).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
  while (pending.length > 0) {
    const segments = pending.shift()!;
    if (coreFieldDeclared(model, obj, segments)) {
      pending.push(...childPaths(valueAt(obj, segments), segments));
    } else {
      problems.push(`${pointer(segments)} is not a field of ${obj.apiVersion} ${obj.kind}`);
    }
  }
  return problems;
}

/**
 * True when `fieldPath` (Crossplane syntax) names a field that the schema of `apiVersion/kind`
 * declares: from the CRD for custom resources, from the Kubernetes OpenAPI for core kinds.
 */
export function kindDeclaresField(apiVersion: string, kind: string, fieldPath: string): boolean {
  const segments = parseFieldPath(fieldPath);
  const schema = crdSchema(apiVersion, kind);
  if (schema !== undefined) {
    return schemaAt(schema, segments) !== undefined;
  }
  const model = coreModel(apiVersion, kind);
  if (model === undefined) {
    throw new Error(`no upstream schema for ${apiVersion} ${kind}`);
  }
  // Build the smallest object that holds the path (arrays get empty objects before the index).
  let data: unknown = 'probe';
  for (const segment of [...segments].reverse()) {
    data =
      typeof segment === 'number'
        ? [...Array.from({ length: segment }, () => ({})), data]
        : { [segment]: data };
  }
  return coreFieldDeclared(model, { apiVersion, kind, ...(data as object) }, segments);
}

/**
 * The schema of objects of a kind defined by an XRD or a CRD-like `openAPIV3Schema` that
 * declares only spec and status: the API server adds apiVersion, kind and metadata.
 */
export function objectSchema(specAndStatus: StructuralSchema): StructuralSchema {
  return {
    ...specAndStatus,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      ...specAndStatus.properties,
    },
  };
}

let chartValuesValidator: ValidateFunction | undefined;

/** Validates Helm values against the Backstage chart's values.schema.json (JSON Schema 2020-12). */
export function validateBackstageValues(values: unknown): string[] {
  if (chartValuesValidator === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv2020 = (require('ajv/dist/2020') as { default: typeof Ajv }).default;
    const ajv2020 = new Ajv2020({ allErrors: true, strict: false, logger: false });
    addFormats(ajv2020);
    const schema = JSON.parse(
      fs.readFileSync(path.join(SHARED_SCHEMAS, 'backstage-chart.values.schema.json'), 'utf8'),
    ) as object;
    chartValuesValidator = ajv2020.compile(schema);
  }
  return chartValuesValidator(values) ? [] : formatAjvErrors(chartValuesValidator.errors);
}
