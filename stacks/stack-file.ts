/**
 * Reads a stack file (Pulumi.<stack>.yaml) as the Pulumi CLI would pass its config to the
 * program, for the offline plan and the preflight, which run without the Pulumi CLI. What the CLI
 * does, at the version we pin (pulumi/pulumi v3.248.0, sdk/go/common/workspace/loaders.go
 * `LoadProjectStackBytes` and sdk/go/common/resource/config/key.go `ParseKey`): a key without a
 * namespace is the project's (`baseDomain` is `platform:baseDomain`), `<ns>:config:<name>` is
 * `<ns>:<name>`, a key without a value is the empty string, `{secure: ...}` is an encrypted
 * secret. A file we cannot read that way is a StackFileError naming the file and line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { PROJECT } from './config-schema';

/** What an encrypted value reads as offline: the plan shows where secrets go, never them. */
export const SECRET_MARKER = '[secret]';

/** The top-level keys of a stack file (pulumi's `ProjectStack`), besides `config`. */
const STACK_FILE_KEYS = ['config', 'secretsprovider', 'encryptedkey', 'encryptionsalt'];

/** A stack file that cannot be read: every problem names the file and line. */
export class StackFileError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'StackFileError';
  }
}

/** The file as a user would type it: relative to the working directory when under it. */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function kindOf(node: unknown): string {
  if (isMap(node)) {
    return 'a map';
  }
  if (isScalar(node)) {
    return node.value === null
      ? 'nothing'
      : `the ${typeof node.value} ${JSON.stringify(node.value)}`;
  }
  return 'a list';
}

/** `<ns>:<name>` as pulumi's ParseKey reads a key, or undefined when it cannot. */
function configKey(key: string): string | undefined {
  const parts = key.split(':');
  if (parts.length === 1) {
    return `${PROJECT}:${key}`;
  }
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') {
    return key;
  }
  if (parts.length === 3 && parts[1] === 'config' && parts[0] !== '' && parts[2] !== '') {
    return `${parts[0]}:${parts[2]}`;
  }
  return undefined;
}

/** The raw config of a stack file, keyed `<namespace>:<key>`, values as Pulumi passes them. */
export function readStackConfig(file: string): Record<string, string> {
  const name = shownPath(file);
  if (!fs.existsSync(file)) {
    throw new StackFileError([`${name}: no such stack file`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), {
    lineCounter: lines,
    prettyErrors: false,
  });
  const at = (node: Node | null | undefined, offset?: number): string => {
    const { line, col } = lines.linePos(offset ?? node?.range?.[0] ?? 0);
    return `${name}:${line}:${col}`;
  };
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    throw new StackFileError([
      `${at(null, syntax.pos[0])}: not valid YAML: ${syntax.message.split('\n')[0]}`,
    ]);
  }
  // Pulumi reads an empty file as a stack without config, which this project cannot run with
  // (baseDomain has no default): say so about the file rather than about a missing key.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new StackFileError([
      `${name}:1:1: the stack file is empty; expected a map with \`config:\` holding at least ${PROJECT}:baseDomain`,
    ]);
  }
  if (!isMap(doc.contents)) {
    throw new StackFileError([
      `${at(doc.contents)}: expected a map with \`config:\` (a stack file), found ${kindOf(doc.contents)}`,
    ]);
  }
  const problems: string[] = [];
  let configNode: unknown = null;
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === 'config') {
      configNode = pair.value;
    } else if (key === 'environment') {
      problems.push(
        `${at(pair.key)}: environment: Pulumi ESC environments cannot be read offline; set the values under config: instead`,
      );
    } else if (key === undefined || !STACK_FILE_KEYS.includes(key)) {
      problems.push(
        `${at(pair.key)}: ${JSON.stringify(key ?? null)} is not a stack file key; expected ${STACK_FILE_KEYS.join(', ')}`,
      );
    }
  }
  const config: Record<string, string> = {};
  if (isMap(configNode)) {
    for (const pair of configNode.items) {
      const raw = isScalar(pair.key) ? pair.key.value : undefined;
      const key = typeof raw === 'string' ? configKey(raw) : undefined;
      if (key === undefined) {
        problems.push(
          `${at(pair.key as Node)}: ${JSON.stringify(raw ?? null)} is not a configuration key; expected <namespace>:<key>, such as ${PROJECT}:baseDomain`,
        );
        continue;
      }
      if (key in config) {
        problems.push(`${at(pair.key as Node)}: ${key} is set twice`);
        continue;
      }
      const node = pair.value as Node | null;
      let js: unknown;
      try {
        js = node === null ? null : node.toJS(doc);
      } catch (e) {
        problems.push(`${at(node)}: ${key}: ${(e as Error).message}`);
        continue;
      }
      if (js !== null && typeof js === 'object' && !Array.isArray(js) && 'secure' in js) {
        config[key] = SECRET_MARKER;
      } else if (js === null) {
        config[key] = ''; // Pulumi: "treated as an empty string", with a warning
      } else {
        config[key] = typeof js === 'string' ? js : JSON.stringify(js);
      }
    }
  } else if (!(isScalar(configNode) && configNode.value === null) && configNode !== null) {
    problems.push(
      `${at(configNode as Node)}: config: expected a map of <namespace>:<key> settings, found ${kindOf(configNode)}`,
    );
  }
  if (problems.length > 0) {
    throw new StackFileError(problems);
  }
  return config;
}
