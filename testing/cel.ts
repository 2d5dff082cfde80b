/**
 * CEL evaluation for tests, with Buf's conformant CEL implementation: JSON values are bound as
 * CEL maps, lists and ints the way the API server and Kro see a Kubernetes object. Errors throw,
 * so that a broken expression can never pass for a false one.
 *
 * A stand-in for the API server's CEL, kept where a real API server is not worth a round trip per
 * case: the XRD's name rules and the form's name fields over hundreds of generated values (the
 * template fuzz), and the TeamNamespace policies' decisions case by case. The API server itself
 * compiles and evaluates the same rules in the cluster tests (*.cluster.test.ts): the name rules
 * and enums on the templates' claims, and the deletion-protection policies end to end.
 */
import { createHash } from 'node:crypto';
import { celFunc, CelScalar, isCelError, run, type CelInput } from '@bufbuild/cel';
import { strings as celStrings } from '@bufbuild/cel/ext';

/** A JSON value as CEL sees it: objects as maps, whole numbers as ints. */
export function toCel(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return value;
  }
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

/** A CEL value back as JSON: maps as objects, ints as numbers. */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (value instanceof Map) {
    return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), fromCel(v)]));
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    Symbol.iterator in value &&
    !(value instanceof Uint8Array)
  ) {
    return [...(value as Iterable<unknown>)].map(fromCel);
  }
  return value;
}

/**
 * The CEL libraries of Kro 0.9.3 (pkg/cel/environment.go) that our graphs use, with the
 * signatures and results Kro's implementations have: cel-go's string and base64 extensions and
 * Kro's `hash.sha256` (pkg/cel/library/hash.go). Emulated: Kro's graph builder type-checks the
 * same expressions in testing/control-plane (kro-build).
 */
export const KRO_FUNCTIONS = [
  ...celStrings,
  celFunc('hash.sha256', [CelScalar.STRING], CelScalar.BYTES, (text) =>
    createHash('sha256').update(text, 'utf8').digest(),
  ),
  celFunc('base64.encode', [CelScalar.BYTES], CelScalar.STRING, (data) =>
    Buffer.from(data).toString('base64'),
  ),
];

/** Evaluates `expression` with `variables` bound (JSON values); throws on a CEL error. */
export function evalCel(expression: string, variables: Record<string, unknown>): unknown {
  const bindings = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, toCel(v) as CelInput]),
  );
  const result = run(expression, bindings, { funcs: KRO_FUNCTIONS });
  if (isCelError(result)) {
    throw new Error(`CEL ${expression}: ${result.message}`);
  }
  return fromCel(result);
}
