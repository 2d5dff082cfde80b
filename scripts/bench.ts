/**
 * `npm run bench [-- --only synth,plan,portal,catalog,build,checks,tests] [--groups 0,100,1000] [--entities
 * 1000,5000] [--runs N] [--merge]`: each path a user waits on, beside its floor, in one run: the commands
 * of a row and its floor run in turns (median of --runs each), so that other load on the machine
 * hits them alike and their ratio means something even when the times do not. Prints the report
 * (scripts/bench/report.ts) and records what it measured in scripts/bench/recorded.json, from
 * which `npm run bench:readme` writes the README's performance section (with --merge, keeping
 * what it recorded for the paths not measured now). Not a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensurePortalBuilt } from '../testing/portal-build';
import { benchBuild, benchChecks, benchTests } from './bench/build-and-tests';
import { RECORDED, readmeFromRecorded } from './bench/readme';
import { renderReport, type BenchResult, type Samples } from './bench/report';

const ROOT = path.resolve(__dirname, '..');
const LOADER = path.join(ROOT, 'scripts', 'ts-require.cjs');

/** The node arguments of an npm script (`node <args>`), so that what is measured is what npm runs. */
function npmScript(name: string): string[] {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts[name].split(' ');
  if (command !== 'node') throw new Error(`npm run ${name} does not run node: ${scripts[name]}`);
  return args;
}

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'synth,plan,portal,catalog,build,checks,tests' },
    groups: { type: 'string', default: '0,100,1000' },
    entities: { type: 'string', default: '1000,5000' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: RECORDED },
    // Keep what the file at --out recorded for the paths this run does not measure.
    merge: { type: 'boolean', default: false },
  },
});
const only = new Set(values.only.split(','));
const runs = Number(values.runs);
const numbers = (list: string): number[] => list.split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
// PostgreSQL runs as its own user when this runs as root: it must reach its data folders.
fs.chmodSync(work, 0o755);

interface Command {
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Node options before the entry point; the CPU recorder is added to node commands. */
  readonly node?: readonly string[];
}

/** Wall time and (for node commands) the process's own CPU time of one run. */
function once(c: Command): { wall: number; cpu?: number } {
  const cpuFile = path.join(work, `cpu-${process.pid}.json`);
  fs.rmSync(cpuFile, { force: true });
  const args = c.node !== undefined ? [...c.node, '--require', CPU_RECORDER, ...c.args] : c.args;
  const start = performance.now();
  const run = spawnSync(c.file, args, {
    cwd: ROOT,
    env: { ...process.env, ...c.env, BENCH_CPU_FILE: cpuFile },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wall = performance.now() - start;
  if (run.status !== 0) throw new Error(`${c.file} ${c.args.join(' ')} failed:\n${run.stderr}`);
  const cpu = fs.existsSync(cpuFile) ? Number(fs.readFileSync(cpuFile, 'utf8')) : undefined;
  return { wall, ...(cpu !== undefined ? { cpu } : {}) };
}

const CPU_RECORDER = path.join(work, 'cpu-recorder.js');
fs.writeFileSync(
  CPU_RECORDER,
  "process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeFileSync(process.env.BENCH_CPU_FILE, String((u.user + u.system) / 1000)); });\n",
);

/** Each command once to warm the caches, then `runs` rounds of all of them in turn. */
function measure(label: string, commands: readonly Command[]): Samples[] {
  commands.forEach(once);
  const samples = commands.map(() => ({ wallMs: [] as number[], cpuMs: [] as number[] }));
  for (let round = 0; round < runs; round++) {
    commands.forEach((c, i) => {
      const { wall, cpu } = once(c);
      samples[i].wallMs.push(Math.round(wall));
      if (cpu !== undefined) samples[i].cpuMs.push(Math.round(cpu));
    });
    process.stderr.write(`${label}: round ${round + 1} of ${runs}\n`);
  }
  return samples.map((s) => (s.cpuMs.length > 0 ? s : { wallMs: s.wallMs }));
}

const node = (args: readonly string[], env?: NodeJS.ProcessEnv): Command => ({
  file: process.execPath,
  node: [],
  args,
  ...(env !== undefined ? { env } : {}),
});

/** The synth app, npm run synth, and a floor that writes the same files from plain objects. */
function benchSynth(): BenchResult['synth'] {
  const out = (name: string): NodeJS.ProcessEnv => ({
    CDK8S_OUTDIR: path.join(work, name, 'platform'),
    PLATFORM_DIST: path.join(work, name),
  });
  spawnSync(process.execPath, ['--require', LOADER, 'charts/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...out('reference') },
  });
  const reference = path.join(work, 'reference');
  const files = fs
    .readdirSync(reference, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(reference, f)).isFile());
  // Manifests and catalog files as objects, for the floor to serialize again; anything else (the
  // templates' skeletons are Nunjucks, not YAML) as its text.
  const contents = Object.fromEntries(
    files.map((f) => {
      const text = fs.readFileSync(path.join(reference, f), 'utf8');
      return [
        f,
        /^(platform|catalog)\//.test(f)
          ? parseAllDocuments(text).map((d) => d.toJS() as unknown)
          : text,
      ];
    }),
  );
  const contentsFile = path.join(work, 'contents.json');
  fs.writeFileSync(contentsFile, JSON.stringify(contents));
  const floor = path.join(work, 'synth-floor.js');
  fs.writeFileSync(
    floor,
    [
      "require('cdk8s'); require('constructs'); require('cdk8s-plus-29');",
      "const YAML = require('yaml'); const fs = require('fs'); const path = require('path');",
      `const contents = JSON.parse(fs.readFileSync(${JSON.stringify(contentsFile)}, 'utf8'));`,
      'for (const [file, content] of Object.entries(contents)) {',
      '  const target = path.join(process.env.PLATFORM_DIST, file);',
      '  fs.mkdirSync(path.dirname(target), { recursive: true });',
      "  fs.writeFileSync(target, typeof content === 'string' ? content : content.map((d) => YAML.stringify(d, { lineWidth: 0 })).join('---\\n'));",
      '}',
    ].join('\n'),
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const [npmRun, app, floorSamples, npmStart] = measure('synth', [
    { file: npm, args: ['run', '-s', 'synth'], env: out('npm') },
    node(npmScript('synth'), out('app')),
    {
      file: process.execPath,
      args: [floor],
      env: { ...out('floor'), NODE_PATH: path.join(ROOT, 'node_modules') },
    },
    { file: npm, args: ['run', '-s', 'env'] },
  ]);
  return {
    npmRun,
    app: { wallMs: app.wallMs },
    floor: floorSamples,
    npmStart,
    files: files.length,
  };
}

/** The dev stack with `count` more customer groups, one member each, as a stack file. */
function stackWithGroups(count: number): string {
  const dev = fs.readFileSync(path.join(ROOT, 'Pulumi.dev.yaml'), 'utf8');
  const groups = Array.from(
    { length: count },
    (_, i) =>
      `    - path: bench-${i}\n      name: Bench ${i}\n      visibility: private\n      members:\n        - userId: ${100_000 + i}\n          accessLevel: developer\n`,
  ).join('');
  const file = path.join(work, `Pulumi.groups-${count}.yaml`);
  fs.writeFileSync(file, `${dev}${groups}`);
  return file;
}

function benchPlan(groups: readonly number[]): BenchResult['plan'] {
  const floor = path.join(work, 'plan-floor.js');
  fs.writeFileSync(
    floor,
    [
      '@pulumi/pulumi',
      '@pulumi/kubernetes',
      '@pulumi/random',
      'cdk8s',
      'constructs',
      'cdk8s-plus-29',
      'yaml',
      'zod',
    ]
      .map((m) => `require(${JSON.stringify(m)});`)
      .join('\n'),
  );
  const commands = groups.map((count) =>
    node([
      ...npmScript('plan'),
      '--stack',
      `groups-${count}`,
      '--stack-file',
      stackWithGroups(count),
      '--out',
      path.join(work, `plan-${count}.yaml`),
    ]),
  );
  const [floorSamples, ...samples] = measure('plan', [
    { ...node([floor]), env: { NODE_PATH: path.join(ROOT, 'node_modules') } },
    ...commands,
  ]);
  return {
    floor: floorSamples,
    groups: groups.map((count, i) => ({ count, samples: samples[i] })),
  };
}

/** Runs scripts/bench/portal-run.ts once; resolves to what it printed. */
function portalRun(
  dataDir: string,
  entities: number,
): Promise<{ wall: number; readyMs: number; ingestMs?: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--require',
        LOADER,
        path.join(ROOT, 'scripts', 'bench', 'portal-run.ts'),
        '--data',
        dataDir,
        '--entities',
        String(entities),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`portal run failed (${code}):\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '{}';
      resolve({
        wall: performance.now() - start,
        ...(JSON.parse(line) as { readyMs: number; ingestMs?: number }),
      });
    });
  });
}

async function benchPortal(): Promise<BenchResult['portal']> {
  const backend = path.join(ROOT, 'backstage-config', 'backend');
  const { dependencies } = JSON.parse(
    fs.readFileSync(path.join(backend, 'package.json'), 'utf8'),
  ) as { dependencies: Record<string, string> };
  const floor = path.join(work, 'portal-floor.js');
  fs.writeFileSync(
    floor,
    Object.keys(dependencies)
      .map((d) => `require(${JSON.stringify(d)});`)
      .join('\n'),
  );
  const cold: number[] = [];
  const warm: number[] = [];
  const floorMs: number[] = [];
  for (let round = 0; round < runs; round++) {
    const dir = path.join(work, `portal-${round}`, 'postgres');
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    cold.push(Math.round((await portalRun(dir, 0)).readyMs));
    warm.push(Math.round((await portalRun(dir, 0)).readyMs));
    floorMs.push(
      Math.round(
        once({
          file: process.execPath,
          args: [floor],
          env: {
            NODE_PATH:
              path.join(backend, 'node_modules') + path.delimiter + path.join(ROOT, 'node_modules'),
          },
        }).wall,
      ),
    );
    process.stderr.write(`portal: round ${round + 1} of ${runs}\n`);
  }
  return { floor: { wallMs: floorMs }, cold: { wallMs: cold }, warm: { wallMs: warm } };
}

async function benchCatalog(sizes: readonly number[]): Promise<BenchResult['catalog']> {
  const results: { entities: number; ms: number }[] = [];
  for (const entities of sizes) {
    const dir = path.join(work, `catalog-${entities}`, 'postgres');
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    const run = await portalRun(dir, entities);
    results.push({ entities, ms: Math.round(run.ingestMs ?? NaN) });
    process.stderr.write(`catalog: ${entities} entities\n`);
  }
  return results;
}

async function main(): Promise<void> {
  // The unit tests' row runs the suite, which holds the README to the recorded result: refuse
  // at once, not after every other row has been measured, when they already differ.
  if (only.has('tests') && fs.existsSync(RECORDED)) {
    const { readme, written } = readmeFromRecorded();
    if (written !== readme) {
      console.error(
        "README.md's performance section is not scripts/bench/recorded.json's (the unit tests would fail): run `npm run bench:readme` first",
      );
      process.exitCode = 1;
      return;
    }
  }
  // The portal's runs start the compiled backend and serve the app: built first, when out of
  // date, so that no run measures a build.
  if (only.has('portal') || only.has('catalog')) ensurePortalBuilt(900_000);
  const kept: Partial<BenchResult> =
    values.merge && fs.existsSync(values.out)
      ? (JSON.parse(fs.readFileSync(values.out, 'utf8')) as BenchResult)
      : {};
  const result: BenchResult = {
    ...kept,
    machine: { cpus: os.cpus().length, node: process.versions.node, loadAverage: os.loadavg()[0] },
    runs,
    ...(only.has('synth') ? { synth: benchSynth() } : {}),
    ...(only.has('plan') ? { plan: benchPlan(numbers(values.groups)) } : {}),
    ...(only.has('portal') ? { portal: await benchPortal() } : {}),
    ...(only.has('catalog') ? { catalog: await benchCatalog(numbers(values.entities)) } : {}),
    ...(only.has('build') ? { build: benchBuild() } : {}),
    ...(only.has('checks') ? { checks: benchChecks() } : {}),
    ...(only.has('tests') ? { tests: benchTests() } : {}),
  };
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(renderReport(result));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
