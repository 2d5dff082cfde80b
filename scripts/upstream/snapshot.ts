/**
 * The structural snapshot of an upstream schema: what it validates (types, required, enums,
 * patterns, formats, defaults, `x-kubernetes-*` markers, CEL rules) without its prose, under a
 * header that records where it comes from and the sha256 of the file it was generated from.
 * Pure functions: `npm run import` (scripts/import.ts) reads and writes the files.
 */
import { createHash } from 'node:crypto';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { upstreamUrl, type UpstreamSource } from './sources';

/** Schema keywords that only annotate: dropped from snapshots. */
export const PROSE_KEYWORDS: ReadonlySet<string> = new Set([
  'description',
  'title',
  'example',
  'examples',
  'externalDocs',
  '$comment',
]);

/** Keywords whose value is a map of names to schemas (the names are data, not keywords). */
const SCHEMA_MAPS = new Set([
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependentSchemas',
]);
/** Keywords whose value is data, never a schema: copied as they are. */
const DATA_KEYWORDS = new Set(['default', 'enum', 'const', 'required']);

/** A copy of a schema (or a document holding schemas) without its prose keywords. */
export function stripProse(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(stripProse);
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (PROSE_KEYWORDS.has(key)) {
      continue;
    }
    if (DATA_KEYWORDS.has(key)) {
      out[key] = value;
    } else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stripProse(v)]),
      );
    } else {
      out[key] = stripProse(value);
    }
  }
  return out;
}

/**
 * The values a Pulumi property's description lists as valid ("Valid values are: `a`, `b`"), in
 * wire form: where the docs give per-language spellings, the HCL one is the provider's own.
 */
export function documentedValues(description: string | undefined): string[] | undefined {
  const match = /[Vv]alid (?:values|options) (?:are|is)\s*:?\s*(.*?)(?:\.\s|\.$|$)/s.exec(
    description ?? '',
  );
  if (match === null) {
    return undefined;
  }
  const wire = match[1].replace(/<span[^>]*pulumi-lang-hcl="`([^`]*)`"[^>]*>.*?<\/span>/g, '`$1`');
  const values = [...wire.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return values.length > 0 ? values : undefined;
}

interface PulumiProperty {
  readonly type?: string;
  readonly items?: PulumiProperty;
  readonly additionalProperties?: PulumiProperty;
  readonly $ref?: string;
  readonly description?: string;
}

interface PulumiObject {
  readonly type?: string;
  readonly inputProperties?: Record<string, PulumiProperty>;
  readonly requiredInputs?: readonly string[];
  readonly properties?: Record<string, PulumiProperty>;
  readonly required?: readonly string[];
  readonly enum?: readonly { value: unknown }[];
}

interface PulumiSchema {
  readonly provider: PulumiObject;
  readonly resources: Record<string, PulumiObject>;
  readonly types: Record<string, PulumiObject>;
}

/** A property as the checks read it: its type, its shape, and its valid values in wire form. */
export interface SnapshotProperty {
  readonly type?: string;
  readonly items?: SnapshotProperty;
  readonly additionalProperties?: SnapshotProperty;
  readonly $ref?: string;
  readonly values?: readonly string[];
}

/** What the tests check of a provider schema: tokens, inputs, types, required, enum values. */
export interface ProviderSnapshot {
  readonly provider: {
    readonly inputProperties: Record<string, SnapshotProperty>;
    readonly requiredInputs: readonly string[];
  };
  readonly resources: Record<
    string,
    {
      readonly inputProperties: Record<string, SnapshotProperty>;
      readonly requiredInputs: readonly string[];
    }
  >;
  readonly types: Record<
    string,
    {
      readonly type?: string;
      readonly properties?: Record<string, SnapshotProperty>;
      readonly required?: readonly string[];
      readonly enum?: readonly unknown[];
    }
  >;
}

function snapshotProperty(
  p: PulumiProperty,
  refs: Set<string>,
  inherited?: readonly string[],
): SnapshotProperty {
  // An array's valid values are documented on the array; they are what its items may be.
  const values = documentedValues(p.description) ?? inherited;
  if (p.$ref !== undefined && p.$ref.startsWith('#/types/')) {
    refs.add(p.$ref.slice('#/types/'.length));
  }
  return {
    ...(p.type !== undefined ? { type: p.type } : {}),
    ...(p.$ref !== undefined ? { $ref: p.$ref } : {}),
    ...(p.items !== undefined
      ? { items: snapshotProperty(p.items, refs, p.type === 'array' ? values : undefined) }
      : {}),
    ...(p.additionalProperties !== undefined
      ? { additionalProperties: snapshotProperty(p.additionalProperties, refs) }
      : {}),
    ...(values !== undefined && p.type === 'string' ? { values } : {}),
  };
}

const propertiesOf = (
  props: Record<string, PulumiProperty> | undefined,
  refs: Set<string>,
): Record<string, SnapshotProperty> =>
  Object.fromEntries(
    Object.entries(props ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, snapshotProperty(v, refs)]),
  );

/**
 * The provider schema reduced to the resources `tokens` names and the types they reach: input
 * names, types, required inputs and valid values. Throws on a token the provider does not have.
 */
export function providerSnapshot(
  schema: PulumiSchema,
  tokens: readonly string[],
): ProviderSnapshot {
  const refs = new Set<string>();
  const resources: ProviderSnapshot['resources'] = {};
  for (const token of [...tokens].sort()) {
    const r = schema.resources[token];
    if (r === undefined) throw new Error(`${token} is not a resource of the provider schema`);
    resources[token] = {
      inputProperties: propertiesOf(r.inputProperties, refs),
      requiredInputs: [...(r.requiredInputs ?? [])].sort(),
    };
  }
  const provider = {
    inputProperties: propertiesOf(schema.provider.inputProperties, refs),
    requiredInputs: [...(schema.provider.requiredInputs ?? [])].sort(),
  };
  const types: ProviderSnapshot['types'] = {};
  const pending = [...refs];
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name in types) continue;
    const t = schema.types[name];
    if (t === undefined) throw new Error(`type ${name} is not in the provider schema`);
    const before = new Set(refs);
    types[name] = {
      ...(t.type !== undefined ? { type: t.type } : {}),
      ...(t.properties !== undefined ? { properties: propertiesOf(t.properties, refs) } : {}),
      ...(t.required !== undefined ? { required: [...t.required].sort() } : {}),
      ...(t.enum !== undefined ? { enum: t.enum.map((e) => e.value) } : {}),
    };
    pending.push(...[...refs].filter((r) => !before.has(r)));
  }
  return {
    provider,
    resources,
    types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export interface SnapshotHeader {
  readonly project: string;
  readonly tag: string;
  readonly path: string;
  readonly url: string;
  readonly sha256: string;
}

const HEADER_FIELDS = ['project', 'tag', 'path', 'url', 'sha256'] as const;

export const sha256 = (bytes: Buffer | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** The header of a snapshot file, as YAML comment lines. */
export function renderHeader(h: SnapshotHeader): string {
  return [
    '# Generated by `npm run import`; do not edit. The upstream file below, without its prose',
    '# (descriptions, titles, examples); everything it validates is kept.',
    ...HEADER_FIELDS.map((f) => `# ${f}: ${h[f]}`),
    '',
  ].join('\n');
}

/** The header of a snapshot file; throws when it has none. */
export function parseHeader(text: string): SnapshotHeader {
  const fields = Object.fromEntries(
    [...text.matchAll(/^# (project|tag|path|url|sha256): (.+)$/gm)].map((m) => [m[1], m[2]]),
  ) as Partial<SnapshotHeader>;
  for (const f of HEADER_FIELDS) {
    if (fields[f] === undefined) throw new Error(`snapshot header without ${f}`);
  }
  return fields as SnapshotHeader;
}

const yaml = (value: unknown): string => stringify(value, { lineWidth: 0 });

/**
 * The snapshot file of an upstream file. `gitlabTokens` names the provider resources to keep
 * of a Pulumi schema.
 */
export function renderSnapshot(
  source: UpstreamSource,
  upstream: Buffer,
  gitlabTokens: readonly string[],
): string {
  const header = renderHeader({
    project: source.project,
    tag: source.tag,
    path: source.path,
    url: upstreamUrl(source),
    sha256: sha256(upstream),
  });
  const text = upstream.toString('utf8');
  switch (source.kind) {
    case 'crd': {
      const docs = parseAllDocuments(text)
        .map((d) => d.toJS() as unknown)
        .filter((d) => d !== null);
      return header + docs.map((d) => yaml(stripProse(d))).join('---\n');
    }
    case 'json-schema':
      return header + yaml(stripProse(JSON.parse(text)));
    case 'pulumi-schema':
      return header + yaml(providerSnapshot(JSON.parse(text) as PulumiSchema, gitlabTokens));
  }
}

/** A snapshot's content (its header is YAML comments). */
export const readSnapshot = (text: string): unknown => parse(text);
