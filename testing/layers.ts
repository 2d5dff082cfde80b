/**
 * The import direction between the repository's top-level folders, for the test that holds the
 * README's layer table against the code. Every `import`, `export ... from`, `require()` and
 * `import()` of a relative path is read with TypeScript's own pre-processor, so that no form of
 * import escapes the check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export const ROOT = path.resolve(__dirname, '..');

/** Where code lives that no layer rule covers: generated, installed or synthesized. */
const SKIPPED = ['node_modules', 'dist', '.git', 'constructs/imports', '.portal'];

/** An import of a source file: from which file, of what (a path relative to the root). */
export interface Import {
  readonly from: string;
  readonly target: string;
  /** A package (`@pulumi/pulumi`), or undefined for a relative import. */
  readonly pkg?: string;
}

/** A unit of the layering: a top-level folder (`infra/`) or a file at the root (`versions.ts`). */
export function unitOf(file: string): string {
  const [first, ...rest] = file.split('/');
  if (rest.length > 0) {
    return `${first}/`;
  }
  // A root module is named by its source file; import paths leave the extension out.
  return first.endsWith('.json') ? first : `${first.replace(/\.m?ts$/, '')}.ts`;
}

/** Every TypeScript source file of the repository (relative paths, sorted). */
export function sourceFiles(root: string = ROOT): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (SKIPPED.some((s) => rel === s || rel.endsWith(`/${s}`))) {
        continue;
      }
      if (entry.isDirectory()) {
        walk(rel);
      } else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        found.push(rel);
      }
    }
  };
  walk('');
  return found.sort();
}

/** The imports of one file, given its text. */
export function importsOf(file: string, text: string): Import[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName }) =>
    fileName.startsWith('.')
      ? {
          from: file,
          target: path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)),
        }
      : {
          from: file,
          target: fileName,
          pkg: fileName.startsWith('@')
            ? fileName.split('/').slice(0, 2).join('/')
            : fileName.split('/')[0],
        },
  );
}

export interface LayerRule {
  /** The units this one may import, besides itself. */
  readonly mayImport: readonly string[];
  /** Packages it may not import (a layer that must not depend on the Pulumi SDK). */
  readonly forbiddenPackages?: readonly RegExp[];
}

/**
 * Every import of a non-test file that its unit's rule does not allow, as a sentence naming the
 * file, the import and what the unit may import. Units without a rule (tests' harnesses in
 * testing/, the CLIs in scripts/) may import anything; test files are not checked.
 */
export function layerProblems(
  files: Readonly<Record<string, string>>,
  rules: Readonly<Record<string, LayerRule>>,
): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    const unit = unitOf(file);
    const rule = rules[unit];
    if (rule === undefined || /\.test\.m?ts$/.test(file)) {
      continue;
    }
    for (const imp of importsOf(file, text)) {
      if (imp.pkg !== undefined) {
        if (rule.forbiddenPackages?.some((p) => p.test(imp.pkg!)) === true) {
          problems.push(`${file} imports ${imp.target}: ${unit} may not depend on ${imp.pkg}`);
        }
        continue;
      }
      const target = unitOf(imp.target);
      if (target !== unit && !rule.mayImport.includes(target)) {
        problems.push(
          `${file} imports ${imp.target}: ${unit} may import ${rule.mayImport.length > 0 ? rule.mayImport.join(', ') : 'nothing else'}, not ${target}`,
        );
      }
    }
  }
  return problems;
}
