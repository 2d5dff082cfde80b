/**
 * `npm run bench`: wall time of `npm run synth`'s app (the same command cdk8s.yaml runs) against
 * its floor, a bare node process that only loads the same libraries and serializes the same
 * objects to YAML files. The difference is what our constructs, TypeScript loading and
 * validation cost. Not a test: it prints figures for the README's performance section.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 7);

function time(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const start = performance.now();
  execFileSync(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label: string, run: () => number): number {
  run(); // warm the file system cache
  const samples = Array.from({ length: runs }, run);
  const m = median(samples);
  console.log(
    `${label.padEnd(44)} median ${m.toFixed(0).padStart(5)} ms  (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}, n=${runs})`,
  );
  return m;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
try {
  // The objects the app synthesizes, as JSON, for the floor process to serialize again.
  const synthOut = path.join(work, 'synth');
  execFileSync('node', ['--require', 'tsx/cjs', 'charts/main.ts'], {
    cwd: root,
    env: { ...process.env, CDK8S_OUTDIR: synthOut, PLATFORM_DIST: path.join(work, 'generated') },
    stdio: 'ignore',
  });
  const files = fs.readdirSync(synthOut).filter((f) => f.endsWith('.yaml'));
  const objects = Object.fromEntries(
    files.map((f) => [
      f,
      parseAllDocuments(fs.readFileSync(path.join(synthOut, f), 'utf8')).map(
        (d) => d.toJS() as unknown,
      ),
    ]),
  );
  const objectsFile = path.join(work, 'objects.json');
  fs.writeFileSync(objectsFile, JSON.stringify(objects));
  const count = Object.values(objects).reduce((n, docs) => n + docs.length, 0);
  console.log(`${count} objects in ${files.length} files\n`);

  const floorScript = path.join(work, 'floor.js');
  fs.writeFileSync(
    floorScript,
    [
      "require('cdk8s'); require('constructs'); require('cdk8s-plus-29');",
      "const YAML = require('yaml'); const fs = require('fs'); const path = require('path');",
      `const objects = JSON.parse(fs.readFileSync(${JSON.stringify(objectsFile)}, 'utf8'));`,
      'const out = process.env.CDK8S_OUTDIR; fs.mkdirSync(out, { recursive: true });',
      'for (const [file, docs] of Object.entries(objects)) {',
      "  fs.writeFileSync(path.join(out, file), docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join('---\\n'));",
      '}',
    ].join('\n'),
  );

  const app = measure('synth app (node --require tsx/cjs charts/main.ts)', () =>
    time('node', ['--require', 'tsx/cjs', 'charts/main.ts'], {
      CDK8S_OUTDIR: path.join(work, 'a'),
      PLATFORM_DIST: path.join(work, 'generated'),
    }),
  );
  const floor = measure('floor (load libraries, write same YAML)', () =>
    time('node', [floorScript], {
      NODE_PATH: path.join(root, 'node_modules'),
      CDK8S_OUTDIR: path.join(work, 'b'),
    }),
  );
  const bare = measure('bare node (node -e 0)', () => time('node', ['-e', '0']));
  console.log(
    `\nsynth costs ${(app - floor).toFixed(0)} ms over the floor (${(app / floor).toFixed(2)}x); node itself starts in ${bare.toFixed(0)} ms.`,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
