/**
 * What `npm run bench` last recorded (scripts/bench/recorded.json) and the README it makes: read
 * by `npm run bench:readme` (which writes it), by the benchmark (which refuses a stale README
 * before running the suite that checks it) and by the report's test. (Not named recorded.ts:
 * Node would resolve `./recorded` to recorded.json first.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderReport, withReport, type BenchResult } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
export const RECORDED = path.join(ROOT, 'scripts', 'bench', 'recorded.json');
export const README = path.join(ROOT, 'README.md');

/** The README as it is, and as its performance section from the recorded result makes it. */
export function readmeFromRecorded(): { readonly readme: string; readonly written: string } {
  const recorded = JSON.parse(fs.readFileSync(RECORDED, 'utf8')) as BenchResult;
  const readme = fs.readFileSync(README, 'utf8');
  return { readme, written: withReport(readme, renderReport(recorded)) };
}
