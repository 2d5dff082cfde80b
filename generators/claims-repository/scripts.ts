/**
 * The claims pipeline's shell scripts: real files beside this one (`*.sh`, linted by shellcheck
 * in `npm run lint`), read by the generator. A script's leading comment lines (the shebang, what
 * it does) are for this repository's readers; the pipeline gets the body after them. Parts that
 * come from the platform's APIs are `@NAME@` tokens: inline, or a line `# @NAME@` that becomes
 * the value's lines at that line's indentation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ScriptName = 'layout-check' | 'group-check' | 'group-create' | 'apply-claims';

const TOKEN = /@([A-Z][A-Z_]*)@/g;
const MARKER_LINE = /^( *)# @([A-Z][A-Z_]*)@$/;

/** The script's body: its file without the leading comment lines and the final newline. */
function body(name: ScriptName): string {
  const lines = fs.readFileSync(path.join(__dirname, `${name}.sh`), 'utf8').split('\n');
  const start = lines.findIndex((l) => !l.startsWith('#'));
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines.slice(start < 0 ? lines.length : start).join('\n');
}

/**
 * The script `name` as the pipeline runs it, with its tokens filled from `values`. A token
 * without a value, or a value no token takes, is an error naming both: the script and the
 * generator have drifted apart.
 */
export function pipelineScript(
  name: ScriptName,
  values: Readonly<Record<string, string>> = {},
): string {
  const text = body(name);
  const tokens = new Set([...text.matchAll(TOKEN)].map((m) => m[1]));
  const missing = [...tokens].filter((t) => !(t in values));
  const unused = Object.keys(values).filter((v) => !tokens.has(v));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `generators/claims-repository/${name}.sh: ${[
        ...missing.map((t) => `@${t}@ has no value`),
        ...unused.map((v) => `no @${v}@ takes the value given for it`),
      ].join('; ')}`,
    );
  }
  return text
    .split('\n')
    .map((line) => {
      const marker = MARKER_LINE.exec(line);
      return marker !== null
        ? values[marker[2]]
            .split('\n')
            .map((l) => `${marker[1]}${l}`)
            .join('\n')
        : line.replace(TOKEN, (_, t: string) => values[t]);
    })
    .join('\n');
}
