/**
 * `npm run bench:readme`: writes the README's performance figures from what `npm run bench`
 * last recorded (scripts/bench/recorded.json), so that no figure there is typed by hand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderReport, withReport, type BenchResult } from './bench/report';

const ROOT = path.resolve(__dirname, '..');
const readme = path.join(ROOT, 'README.md');
const recorded = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'scripts', 'bench', 'recorded.json'), 'utf8'),
) as BenchResult;
fs.writeFileSync(readme, withReport(fs.readFileSync(readme, 'utf8'), renderReport(recorded)));
console.log('README.md: performance section written from scripts/bench/recorded.json');
