/**
 * The commands' TypeScript loader (scripts/ts-require.cjs): compiles a file once, reuses the
 * JavaScript while the file is unchanged (esbuild is then not loaded at all), compiles again when
 * it changes, and is what every command and the cdk8s CLI run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TS_REQUIRE } from '../testing/cli';

const ROOT = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-require-'));
const cache = path.join(work, 'cache');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `file` under the loader with its cache in `cache`. */
function run(file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', TS_REQUIRE, file], {
    cwd: work,
    env: { ...process.env, PLATFORM_TS_CACHE: cache },
    encoding: 'utf8',
    // A node process and, the first time, esbuild's: seconds at most on a loaded machine.
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What the probe prints: its value and whether esbuild was loaded in the process. */
const PROBE = (value: string): string => `import { double } from './lib';
interface Shown { readonly value: number }
const shown: Shown = { value: double(${value}) };
const esbuild = Object.keys(require.cache).some((k) => k.includes('/node_modules/esbuild/'));
console.log(JSON.stringify({ ...shown, esbuild }));
`;

describe('the TypeScript loader', () => {
  it('compiles once and reuses the JavaScript, without loading esbuild, until a file changes', () => {
    fs.writeFileSync(
      path.join(work, 'lib.ts'),
      'export const double = (n: number): number => n * 2;\n',
    );
    const main = path.join(work, 'main.ts');
    fs.writeFileSync(main, PROBE('2'));

    const first = run(main);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toEqual({ value: 4, esbuild: true });
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.js'))).toHaveLength(2);

    const second = run(main);
    expect(JSON.parse(second.stdout)).toEqual({ value: 4, esbuild: false });

    fs.writeFileSync(main, PROBE('5'));
    const changed = run(main);
    expect(JSON.parse(changed.stdout)).toEqual({ value: 10, esbuild: true });
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.js'))).toHaveLength(3);
  });

  it("reports a file that does not compile with esbuild's message, naming the file", () => {
    const broken = path.join(work, 'broken.ts');
    fs.writeFileSync(broken, 'const x: number = ;\n');
    const result = run(broken);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${broken}:1:18: ERROR: Unexpected ";"`);
  });

  it('is what the commands, the cdk8s CLI and the Pulumi program run', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // node, maybe options of its own (the plan's heap), then the loader, then the entry point.
    for (const script of [
      'synth',
      'plan',
      'preflight',
      'portal',
      'bench',
      'bench:readme',
      'import',
    ]) {
      expect(pkg.scripts[script], script).toMatch(
        /^node (--[a-z-]+=\S+ )*--require \.\/scripts\/ts-require\.cjs [a-z/-]+\.ts$/,
      );
    }
    const cdk8s = parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')) as { app: string };
    // `npx cdk8s synth` runs exactly what `npm run synth` runs.
    expect(cdk8s.app).toBe(pkg.scripts.synth);
    const project = parse(fs.readFileSync(path.join(ROOT, 'Pulumi.yaml'), 'utf8')) as {
      runtime: { options: { nodeargs: string } };
    };
    expect(project.runtime.options.nodeargs).toBe('--require ./scripts/ts-require.cjs');
  });
});
