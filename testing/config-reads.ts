/**
 * Which configuration keys Backstage code actually reads. A package's config schema may declare a
 * key its code never reads (`catalogFile` of the GitLab catalog module: the code reads
 * `entityFilename`), so a layer can validate and still be ignored. Instead of matching the
 * package's source by pattern, the real code runs against a recording `ConfigReader`: every read
 * is noted by its full key (`a.b[0].c`, as Backstage names keys in its errors).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigReader } from '@backstage/config';

/**
 * `value`: a typed read (string, number, boolean, string array, config array) or `has()` of the
 * key itself. `whole`: `get`/`getOptional`, which returns the key's whole subtree.
 */
export type ConfigRead = { readonly kind: 'value' | 'whole'; readonly key: string };

/** The members of ConfigReader (some private) that every read goes through. */
type Reader = {
  prefix: string;
  getOptional: (this: Reader, key?: string) => unknown;
  has: (this: Reader, key: string) => boolean;
  readConfigValue: (this: Reader, key: string, validate: unknown) => unknown;
};

const fullKey = (reader: Reader, key: string | undefined): string =>
  [reader.prefix, key ?? ''].filter((part) => part !== '').join('.');

/**
 * Records every read of every `ConfigReader` (the class every Backstage config object delegates
 * to) until the returned function is called. Reads of the root's whole value are not recorded:
 * the config loader compares whole configurations when it reloads them, which reads no key.
 */
export function recordConfigReads(
  reader: typeof ConfigReader,
  onRead: (read: ConfigRead) => void,
): () => void {
  const proto = reader.prototype as unknown as Reader;
  const original = {
    getOptional: proto.getOptional,
    has: proto.has,
    readConfigValue: proto.readConfigValue,
  };
  proto.getOptional = function (this: Reader, key?: string) {
    const at = fullKey(this, key);
    if (at !== '') onRead({ kind: 'whole', key: at });
    return original.getOptional.call(this, key);
  };
  proto.has = function (this: Reader, key: string) {
    onRead({ kind: 'value', key: fullKey(this, key) });
    return original.has.call(this, key);
  };
  proto.readConfigValue = function (this: Reader, key: string, validate: unknown) {
    onRead({ kind: 'value', key: fullKey(this, key) });
    return original.readConfigValue.call(this, key, validate);
  };
  return () => Object.assign(proto, original);
}

/**
 * Every leaf of a configuration, named as `ConfigReader` names keys: objects by `.`, items of
 * object arrays by `[i]`; a scalar or an array of scalars is one leaf.
 */
export function configLeaves(value: unknown, at = ''): string[] {
  if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
    return value.flatMap((v, i) => configLeaves(v, `${at}[${i}]`));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [at];
    return entries.flatMap(([k, v]) => configLeaves(v, at === '' ? k : `${at}.${k}`));
  }
  return [at];
}

/** The leaves no read reached: neither read themselves nor inside a subtree read whole. */
export function unreadKeys(leaves: readonly string[], reads: Iterable<ConfigRead>): string[] {
  const values = new Set<string>();
  const wholes: string[] = [];
  for (const read of reads) {
    if (read.kind === 'value') values.add(read.key);
    else wholes.push(read.key);
  }
  const inside = (leaf: string, key: string): boolean =>
    leaf === key || leaf.startsWith(`${key}.`) || leaf.startsWith(`${key}[`);
  return leaves.filter((leaf) => !values.has(leaf) && !wholes.some((key) => inside(leaf, key)));
}

const READ_CALL =
  /\.(?:get|has|getOptional)(?:String|Number|Boolean|StringArray|Config|ConfigArray)?\(\s*["'`]([^"'`]+)["'`]/g;

/**
 * The keys among `keys` that the CommonJS build (`dist/**\/*.cjs.js`) of one of `packages`
 * reads by their full name from the root config (`config.getOptionalString("a.b.c")`): reads on
 * code paths a test does not run, such as an action's handler. A key read only relative to a
 * sub-config cannot be told apart from an unread one this way, and is not returned.
 */
export function readByFullName(keys: readonly string[], packages: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') visit(file);
      } else if (entry.name.endsWith('.cjs.js')) {
        for (const match of fs.readFileSync(file, 'utf8').matchAll(READ_CALL)) {
          found.add(match[1]);
        }
      }
    }
  };
  for (const pkg of packages) {
    const dist = path.join(pkg, 'dist');
    if (fs.existsSync(dist)) visit(dist);
  }
  return keys.filter((key) => found.has(key));
}
