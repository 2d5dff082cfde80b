/**
 * Renders the composed resources of a function-patch-and-transform input for a given XR, for the
 * subset of patch and transform types this repository uses, so that tests can validate what
 * Crossplane would apply. Anything outside that subset throws instead of guessing.
 *
 * An emulation, kept for what the real engine is not run on: the construct with props other than
 * dist/'s (another group prefix, roles, sizes) and explicit quota overrides, in milliseconds per
 * case. dist/'s composition itself is composed by Crossplane's own render engine with the real
 * functions (testing/crossplane-render.ts, constructs/team-namespace/team-namespace.cluster.test.ts).
 */
import { parseFieldPath, type FieldPathSegment } from './field-path';

interface Transform {
  readonly type: string;
  readonly string?: { type: string; fmt?: string; regexp?: { match: string; group?: number } };
  readonly map?: Record<string, unknown>;
  readonly convert?: { toType: string };
}

interface Patch {
  readonly type?: string;
  readonly fromFieldPath?: string;
  readonly toFieldPath?: string;
  readonly transforms?: readonly Transform[];
  readonly policy?: { fromFieldPath?: string };
}

export interface ResourceTemplate {
  readonly name: string;
  readonly base?: unknown;
  readonly patches?: readonly Patch[];
}

const MISSING = Symbol('missing');

export function getPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const segment of parseFieldPath(path)) {
    if (node === null || typeof node !== 'object' || !(segment in node)) {
      return MISSING;
    }
    node = (node as Record<FieldPathSegment, unknown>)[segment];
  }
  return node;
}

export function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const segments = parseFieldPath(path);
  let node: Record<FieldPathSegment, unknown> = root;
  segments.slice(0, -1).forEach((segment, i) => {
    if (node[segment] === undefined) {
      node[segment] = typeof segments[i + 1] === 'number' ? [] : {};
    }
    node = node[segment] as Record<FieldPathSegment, unknown>;
  });
  node[segments[segments.length - 1]] = value;
}

function applyTransform(value: unknown, t: Transform): unknown {
  if (t.type === 'string' && t.string?.type === 'Format') {
    return (t.string.fmt ?? '%s').replace('%s', String(value));
  }
  if (t.type === 'string' && t.string?.type === 'Regexp' && t.string.regexp !== undefined) {
    const m = new RegExp(t.string.regexp.match).exec(String(value));
    if (m === null) {
      throw new Error(`regexp ${t.string.regexp.match} does not match ${String(value)}`);
    }
    return m[t.string.regexp.group ?? 0];
  }
  if (t.type === 'map' && t.map !== undefined) {
    if (!(String(value) in t.map)) {
      throw new Error(`map transform has no key ${String(value)}`);
    }
    return t.map[String(value)];
  }
  if (t.type === 'convert' && t.convert?.toType === 'string') {
    return String(value);
  }
  if (t.type === 'convert' && t.convert?.toType === 'bool') {
    if (value !== 'true' && value !== 'false') {
      throw new Error(`cannot convert ${String(value)} to bool`);
    }
    return value === 'true';
  }
  throw new Error(`transform not supported by the test renderer: ${JSON.stringify(t)}`);
}

/** The composed resources P&T would desire for `xr` (templates whose required patch fails are skipped). */
export function renderComposed(
  templates: readonly ResourceTemplate[],
  xr: unknown,
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  templates: for (const template of templates) {
    const resource = structuredClone(template.base) as Record<string, unknown>;
    for (const patch of template.patches ?? []) {
      if (patch.type === 'ToCompositeFieldPath') {
        continue;
      }
      if (patch.type !== 'FromCompositeFieldPath') {
        throw new Error(`patch type not supported by the test renderer: ${String(patch.type)}`);
      }
      const value = getPath(xr, patch.fromFieldPath!);
      if (value === MISSING) {
        if (patch.policy?.fromFieldPath === 'Required') {
          continue templates;
        }
        continue;
      }
      setPath(resource, patch.toFieldPath!, (patch.transforms ?? []).reduce(applyTransform, value));
    }
    out.set(template.name, resource);
  }
  return out;
}

/** The XR fields the ToCompositeFieldPath patches would set from the observed resources. */
export function renderToComposite(
  templates: readonly ResourceTemplate[],
  observed: ReadonlyMap<string, unknown>,
): Record<string, unknown> {
  const xr: Record<string, unknown> = {};
  for (const template of templates) {
    for (const patch of template.patches ?? []) {
      const value =
        patch.type === 'ToCompositeFieldPath'
          ? getPath(observed.get(template.name), patch.fromFieldPath!)
          : MISSING;
      if (value !== MISSING) {
        setPath(xr, patch.toFieldPath!, (patch.transforms ?? []).reduce(applyTransform, value));
      }
    }
  }
  return xr;
}
