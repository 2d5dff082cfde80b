/**
 * CEL evaluation for tests, with Buf's conformant CEL implementation: JSON values are bound as
 * CEL maps, lists and ints the way the API server and Kro see a Kubernetes object.
 */
import { run } from '@bufbuild/cel';

/** A JSON value as CEL sees it: objects as maps, whole numbers as ints. */
export function toCel(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(toCel);
  }
  if (value !== null && typeof value === 'object') {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    return BigInt(value);
  }
  return value;
}

/** Evaluates `expression` with `variables` bound (JSON values). */
export function evalCel(expression: string, variables: Record<string, unknown>): unknown {
  return run(
    expression,
    Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, toCel(v)])) as Parameters<
      typeof run
    >[1],
  );
}
