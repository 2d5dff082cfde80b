/**
 * Test-side readers of Kro resource graphs: the `${...}` templating (expression extraction and
 * substitution) and the SimpleSchema marker grammar, both following Kro 0.9.3
 * (pkg/graph/parser/cel.go, pkg/simpleschema/markers.go), so that tests can render a graph for a
 * sample instance and check the schema Kro would generate.
 */
import { evalCel } from './cel';

interface Segment {
  readonly text?: string;
  readonly expr?: string;
}

/** Splits a template string into literal text and `${...}` expressions (braces and "..." aware). */
export function splitTemplate(value: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf('${', i);
    if (start < 0) {
      segments.push({ text: value.slice(i) });
      break;
    }
    if (start > i) {
      segments.push({ text: value.slice(i, start) });
    }
    let depth = 1;
    let inString = false;
    let j = start + 2;
    for (; j < value.length && depth > 0; j++) {
      const c = value[j];
      if (inString && c === '\\') {
        j++;
      } else if (c === '"') {
        inString = !inString;
      } else if (!inString && c === '{') {
        depth++;
      } else if (!inString && c === '}') {
        depth--;
      }
    }
    if (depth !== 0) {
      throw new Error(`unterminated expression in ${JSON.stringify(value)}`);
    }
    segments.push({ expr: value.slice(start + 2, j - 1) });
    i = j;
  }
  return segments;
}

/** Every `${...}` expression in a template. */
export function expressionsIn(template: unknown): string[] {
  if (typeof template === 'string') {
    return splitTemplate(template).flatMap((s) => (s.expr !== undefined ? [s.expr] : []));
  }
  if (Array.isArray(template)) {
    return template.flatMap(expressionsIn);
  }
  if (template !== null && typeof template === 'object') {
    return Object.values(template).flatMap(expressionsIn);
  }
  return [];
}

/** A template with every expression evaluated: a lone expression keeps its type. */
export function renderTemplate(template: unknown, variables: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const segments = splitTemplate(template);
    if (segments.length === 1 && segments[0].expr !== undefined) {
      return evalCel(segments[0].expr, variables);
    }
    return segments
      .map((s) => (s.expr !== undefined ? String(evalCel(s.expr, variables)) : s.text))
      .join('');
  }
  if (Array.isArray(template)) {
    return template.map((t) => renderTemplate(t, variables));
  }
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([k, v]) => [k, renderTemplate(v, variables)]),
    );
  }
  return template;
}

export interface Marker {
  readonly key: string;
  readonly value: string;
}

/** Splits `type | key=value key="quoted value"` into its type and markers, as Kro does. */
export function parseSimpleField(field: string): { type: string; markers: Marker[] } {
  const bar = field.indexOf('|');
  const type = (bar < 0 ? field : field.slice(0, bar)).trim();
  const rest = bar < 0 ? '' : field.slice(bar + 1);
  const markers: Marker[] = [];
  let key: string | undefined;
  let buffer = '';
  let inQuotes = false;
  let escaped = false;
  const flush = (): void => {
    if (key !== undefined) {
      markers.push({ key, value: unquote(buffer) });
      key = undefined;
      buffer = '';
    }
  };
  for (const c of rest) {
    if (c === '=' && key === undefined && !inQuotes) {
      key = buffer.trim();
      buffer = '';
    } else if (c === '"' && !escaped) {
      inQuotes = !inQuotes;
      buffer += c;
    } else if (c === '\\' && inQuotes && !escaped) {
      escaped = true;
      buffer += c;
    } else if (/\s/.test(c) && !inQuotes) {
      flush();
    } else {
      escaped = false;
      buffer += c;
    }
  }
  flush();
  if (inQuotes || buffer.trim() !== '') {
    throw new Error(`malformed markers in ${JSON.stringify(field)}`);
  }
  return { type, markers };
}

function unquote(value: string): string {
  if (!(value.startsWith('"') && value.endsWith('"'))) {
    return value.trim();
  }
  let out = '';
  let escaped = false;
  for (const c of value.slice(1, -1)) {
    if (escaped) {
      out += c === '"' || c === '\\' ? c : `\\${c}`;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else {
      out += c;
    }
  }
  return out;
}

type Json = Record<string, unknown>;

/** The OpenAPI schema Kro 0.9.3 generates for a SimpleSchema object (the subset of markers we use). */
export function simpleSchemaToOpenApi(spec: Record<string, unknown>): Json {
  const properties: Record<string, Json> = {};
  const required: string[] = [];
  let childHasDefault = false;
  for (const [name, node] of Object.entries(spec)) {
    if (typeof node !== 'string') {
      properties[name] = simpleSchemaToOpenApi(node as Record<string, unknown>);
      childHasDefault ||= properties[name].default !== undefined;
      continue;
    }
    const { type, markers } = parseSimpleField(node);
    const schema: Json = { type };
    for (const { key, value } of markers) {
      switch (key) {
        case 'required':
          if (value === 'true') required.push(name);
          break;
        case 'default':
          schema.default = type === 'string' ? value : JSON.parse(value);
          break;
        case 'description':
        case 'pattern':
          schema[key] = value;
          break;
        case 'enum':
          schema.enum = value
            .split(',')
            .map((v) => (type === 'integer' ? Number(v.trim()) : v.trim()));
          break;
        case 'minimum':
        case 'maximum':
        case 'minLength':
        case 'maxLength':
          schema[key] = Number(value);
          break;
        case 'immutable':
          if (value === 'true')
            schema['x-kubernetes-validations'] = [
              { rule: 'self == oldSelf', message: 'field is immutable' },
            ];
          break;
        default:
          throw new Error(`marker ${key} is not supported by this reader`);
      }
    }
    childHasDefault ||= schema.default !== undefined;
    properties[name] = schema;
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(required.length === 0 && childHasDefault ? { default: {} } : {}),
  };
}
