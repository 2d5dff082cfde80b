/**
 * Test-side rendering of Kro resource graphs: the `${...}` templating (expression extraction and
 * substitution) following Kro 0.9.3 (pkg/graph/parser/cel.go), so that tests can render a graph
 * for a sample instance. An emulation: Kro renders only in its controller against a live API
 * server. What Kro's graph builder decides (expression types, references, the generated CRD) is
 * tested with the builder itself (testing/control-plane, kro-build), and what the controller does
 * with an instance by the Kro controller on a real API server
 * (constructs/database/database.cluster.test.ts).
 *
 * Kept for what those do not run: the password derivation and connection details over many
 * sample instances and seeds, in milliseconds per case. It decodes a Secret's `data` as Node does,
 * not as Kro 0.9.3 does (URL-safe base64): only the controller test catches a seed Kro cannot read.
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
