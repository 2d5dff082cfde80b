/**
 * The README's tables, for the tests that hold them against what the code does. The README is
 * formatted by Prettier: a table is a block of `| a | b |` lines, the second one the `| --- |`
 * delimiter row; cells hold no `|` (a test fails on one that would, since its row then has the
 * wrong number of cells).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const README = path.resolve(__dirname, '..', 'README.md');

export interface Table {
  readonly header: readonly string[];
  /** Each row keyed by its column's header. */
  readonly rows: readonly Readonly<Record<string, string>>[];
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());

/**
 * The first table after the heading `heading` (the whole heading line, such as
 * `### Configuration reference`) whose header starts with `firstColumn`.
 */
export function readmeTable(heading: string, firstColumn: string): Table {
  const lines = fs.readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) {
    throw new Error(`README.md has no heading "${heading}"`);
  }
  const top = lines.findIndex(
    (l, i) => i > start && l.startsWith('|') && cells(l)[0] === firstColumn,
  );
  if (top < 0 || !/^\|( *:?-+:? *\|)+$/.test(lines[top + 1] ?? '')) {
    throw new Error(`README.md has no table starting with "${firstColumn}" under "${heading}"`);
  }
  const header = cells(lines[top]);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(top + 2)) {
    if (!line.startsWith('|')) {
      break;
    }
    const row = cells(line);
    if (row.length !== header.length) {
      throw new Error(
        `README.md: a row of ${row.length} cells in a table of ${header.length} columns: ${line}`,
      );
    }
    rows.push(Object.fromEntries(header.map((h, i) => [h, row[i]])));
  }
  return { header, rows };
}

/** The text of a cell without the backticks of its code spans. */
export const plain = (cell: string): string => cell.replaceAll('`', '');

/** The code spans of a cell, in order. */
export const codeSpans = (cell: string): string[] =>
  [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
