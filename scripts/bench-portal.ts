/**
 * `npm run bench:portal`: what `npm run build:portal` costs (the app bundle with the Backstage
 * CLI, the backend with tsc), on this machine: wall time, the peak memory of its largest process
 * (GNU time's maximum resident set size) and the size of the app bundle. Not a test: it prints
 * the figures of the README's performance section.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const appDist = path.join(root, 'backstage-config', 'app', 'dist');

function size(dir: string): number {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}

fs.rmSync(appDist, { recursive: true, force: true });
fs.rmSync(path.join(root, 'backstage-config', 'backend', 'dist'), { recursive: true, force: true });
const start = Date.now();
const report = execFileSync('/usr/bin/time', ['-v', 'npm', 'run', 'build:portal'], {
  cwd: root,
  env: { ...process.env, NODE_ENV: 'production' },
  encoding: 'utf8',
  stdio: ['ignore', 'ignore', 'pipe'],
});
const seconds = (Date.now() - start) / 1000;
const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1]);
const js = fs
  .readdirSync(path.join(appDist, 'static'))
  .filter((f) => f.endsWith('.js'))
  .reduce((sum, f) => sum + fs.statSync(path.join(appDist, 'static', f)).size, 0);
console.log(`npm run build:portal on ${os.cpus().length} cores, Node ${process.version}`);
console.log(`  wall time           ${seconds.toFixed(0)} s`);
console.log(`  peak memory         ${(peakKb / 1024).toFixed(0)} MiB (largest process)`);
console.log(
  `  app bundle          ${(size(appDist) / 1024 / 1024).toFixed(1)} MiB in dist/, ${(js / 1024 / 1024).toFixed(1)} MiB of JavaScript`,
);
