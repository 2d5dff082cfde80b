/**
 * Two rows of `npm run bench` that are not a command beside its floor: what `npm run
 * build:portal` costs from scratch (wall time, the peak memory of its largest process as GNU
 * time reports it, the app bundle's size), and the unit tests' wall time (Vitest's `unit` and
 * `unit-isolated` projects: not the files that boot the portal nor the control-plane tests, the
 * `portal` and `cluster` projects, measured by their own files' times).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResult } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const APP_DIST = path.join(ROOT, 'backstage-config', 'app', 'dist');

function bytesUnder(dir: string, ext = ''): number {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .reduce((sum, e) => sum + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}

/** `npm run build:portal` after removing what it builds; the result replaces the old build. */
export function benchBuild(): NonNullable<BenchResult['build']> {
  fs.rmSync(APP_DIST, { recursive: true, force: true });
  fs.rmSync(path.join(ROOT, 'backstage-config', 'backend', 'dist'), {
    recursive: true,
    force: true,
  });
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-v', 'npm', 'run', 'build:portal'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wallMs = Math.round(performance.now() - start);
  if (run.status !== 0) throw new Error(`npm run build:portal failed:\n${run.stderr}`);
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1];
  if (peak === undefined) throw new Error(`GNU time printed no peak memory:\n${run.stderr}`);
  return {
    wallMs,
    peakKb: Number(peak),
    bundleBytes: bytesUnder(APP_DIST),
    bundleJsBytes: bytesUnder(path.join(APP_DIST, 'static'), '.js'),
  };
}

/**
 * What `npm test` checks before Vitest starts, warm (a second run of each: the type-check's and
 * Prettier's caches in node_modules/.cache are then up to date): `npm run typecheck` and `npm run
 * lint` (ESLint with its type-aware rules, Prettier, shellcheck).
 */
export function benchChecks(): NonNullable<BenchResult['checks']> {
  const timed = (script: string): number => {
    let wallMs = 0;
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      const run = spawnSync('npm', ['run', '--silent', script], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      wallMs = Math.round(performance.now() - start);
      if (run.status !== 0) {
        throw new Error(`npm run ${script} failed:\n${run.stdout}${run.stderr}`.slice(-4000));
      }
    }
    return wallMs;
  };
  return { typecheckMs: timed('typecheck'), lintMs: timed('lint') };
}

/** One run of the unit tests (minutes: once, not --runs times). */
export function benchTests(): NonNullable<BenchResult['tests']> {
  const start = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      'unit',
      '--project',
      'unit-isolated',
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const wallMs = Math.round(performance.now() - start);
  // Vitest's summary, colours off or on: "Test Files  57 passed (57)", "Tests  466 passed (466)".
  // eslint-disable-next-line no-control-regex
  const out = `${run.stdout}${run.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
  const files = /Test Files\s+(\d+) passed \((\d+)\)/.exec(out);
  const tests = /Tests\s+(\d+) passed \((\d+)\)/.exec(out);
  if (run.status !== 0 || files === null || tests === null || files[1] !== files[2]) {
    throw new Error(`the unit tests failed:\n${out.slice(-4000)}`);
  }
  return { wallMs, files: Number(files[1]), tests: Number(tests[1]) };
}
