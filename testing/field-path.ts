/**
 * Crossplane field paths (`spec.hard[requests.cpu]`, `subjects[0].name`,
 * `metadata.labels[example.org/owner]`) parsed into segments, and looked up in a structural
 * OpenAPI v3 schema.
 */

export type FieldPathSegment = string | number;

/** Splits a Crossplane field path into object keys (strings) and array indexes (numbers). */
export function parseFieldPath(path: string): FieldPathSegment[] {
  const segments: FieldPathSegment[] = [];
  let i = 0;
  let current = '';
  const flush = (): void => {
    if (current !== '') {
      segments.push(current);
      current = '';
    }
  };
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      flush();
      i++;
    } else if (c === '[') {
      flush();
      const end = path.indexOf(']', i);
      if (end < 0) {
        throw new Error(`field path ${JSON.stringify(path)}: unclosed '['`);
      }
      const inner = path.slice(i + 1, end);
      segments.push(/^[0-9]+$/.test(inner) ? Number(inner) : inner.replace(/^"(.*)"$/, '$1'));
      i = end + 1;
    } else {
      current += c;
      i++;
    }
  }
  flush();
  if (segments.length === 0) {
    throw new Error(`field path ${JSON.stringify(path)} is empty`);
  }
  return segments;
}

/** The subset of an OpenAPI v3 schema that structural Kubernetes schemas use. */
export interface StructuralSchema {
  readonly type?: string;
  readonly properties?: Record<string, StructuralSchema>;
  readonly additionalProperties?: boolean | StructuralSchema;
  readonly items?: StructuralSchema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly [key: string]: unknown;
}

/**
 * The schema of the field at `segments`, or undefined when the schema does not declare it.
 * Objects that preserve unknown fields accept any path below them.
 */
export function schemaAt(
  schema: StructuralSchema,
  segments: readonly FieldPathSegment[],
): StructuralSchema | undefined {
  let node: StructuralSchema | undefined = schema;
  for (const segment of segments) {
    if (node === undefined) {
      return undefined;
    }
    if (node['x-kubernetes-preserve-unknown-fields'] === true && node.properties === undefined) {
      return {};
    }
    if (typeof segment === 'number') {
      node = node.items;
    } else if (node.properties !== undefined && segment in node.properties) {
      node = node.properties[segment];
    } else if (typeof node.additionalProperties === 'object') {
      node = node.additionalProperties;
    } else if (node['x-kubernetes-preserve-unknown-fields'] === true) {
      return {};
    } else {
      return undefined;
    }
  }
  return node;
}
