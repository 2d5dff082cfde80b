/**
 * Kro SimpleSchema fields, modelled once and rendered twice: as the SimpleSchema strings an RGD
 * carries (`string | default="17" enum="15,16,17"`) and as the OpenAPI v3 schema Kro generates
 * from them for the instance CRD, which the portal's forms and the tests use. The marker grammar
 * follows Kro 0.9.3 (pkg/simpleschema/markers.go).
 */
import type { OpenApiSchema } from '../openapi';

export interface SimpleField {
  readonly type: 'string' | 'integer' | 'boolean';
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  /** Rejects any change after creation (Kro adds the CEL rule `self == oldSelf`). */
  readonly immutable?: boolean;
  readonly required?: boolean;
}

export interface SimpleObject {
  readonly [field: string]: SimpleField | SimpleObject;
}

export type SimpleSchemaText = { readonly [field: string]: string | SimpleSchemaText };

export function isSimpleField(node: SimpleField | SimpleObject): node is SimpleField {
  return (
    typeof (node as SimpleField).type === 'string' &&
    typeof (node as SimpleField).description === 'string'
  );
}

/** A marker value in double quotes, escaped the way Kro's marker parser unescapes it. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The SimpleSchema string of one field. */
export function simpleSchemaField(field: SimpleField): string {
  const markers: string[] = [];
  if (field.required === true) {
    markers.push('required=true');
  }
  if (field.default !== undefined) {
    markers.push(
      `default=${typeof field.default === 'string' ? quote(field.default) : String(field.default)}`,
    );
  }
  if (field.enum !== undefined) {
    markers.push(`enum=${quote(field.enum.join(','))}`);
  }
  if (field.pattern !== undefined) {
    markers.push(`pattern=${quote(field.pattern)}`);
  }
  for (const key of ['minLength', 'maxLength', 'minimum', 'maximum'] as const) {
    if (field[key] !== undefined) {
      markers.push(`${key}=${field[key]}`);
    }
  }
  if (field.immutable === true) {
    markers.push('immutable=true');
  }
  markers.push(`description=${quote(field.description)}`);
  return `${field.type} | ${markers.join(' ')}`;
}

/** The SimpleSchema of an object (the RGD's `spec.schema.spec`). */
export function simpleSchema(spec: SimpleObject): SimpleSchemaText {
  return Object.fromEntries(
    Object.entries(spec).map(([name, node]) => [
      name,
      isSimpleField(node) ? simpleSchemaField(node) : simpleSchema(node),
    ]),
  );
}

function openApiField(field: SimpleField): OpenApiSchema {
  return {
    type: field.type,
    description: field.description,
    ...(field.default !== undefined ? { default: field.default } : {}),
    ...(field.enum !== undefined ? { enum: [...field.enum] } : {}),
    ...(field.pattern !== undefined ? { pattern: field.pattern } : {}),
    ...(field.minLength !== undefined ? { minLength: field.minLength } : {}),
    ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
    ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
    ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
    ...(field.immutable === true
      ? { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'field is immutable' }] }
      : {}),
  };
}

/**
 * The OpenAPI schema Kro generates for an object of SimpleSchema fields: required fields listed
 * on the parent, and `default: {}` on objects without required fields whose children have
 * defaults, so that nested defaults apply when the object is omitted.
 */
export function openApiSchema(spec: SimpleObject): OpenApiSchema {
  const properties: Record<string, OpenApiSchema> = {};
  const required: string[] = [];
  let childHasDefault = false;
  for (const [name, node] of Object.entries(spec)) {
    const schema = isSimpleField(node) ? openApiField(node) : openApiSchema(node);
    properties[name] = schema;
    if (isSimpleField(node) && node.required === true) {
      required.push(name);
    }
    childHasDefault ||= schema.default !== undefined;
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(required.length === 0 && childHasDefault ? { default: {} } : {}),
  };
}
