/**
 * Runs one of the repository's commands (scripts/*.ts) in a child process, as `npm run` does
 * (`node --require ./scripts/ts-require.cjs`), without blocking, so that a test file's runs go in parallel. The
 * child is killed after `timeoutMs`, so a hung command fails its test with what it printed
 * instead of outliving it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
/**
 * The TypeScript loader `npm run` uses (package.json's scripts), as an absolute path so that any
 * working directory works.
 */
export const TS_REQUIRE = path.join(root, 'scripts', 'ts-require.cjs');

/**
 * How long a command may take: a full offline plan takes 2–3 s on an idle two-core machine, and
 * up to 68 s measured while the rest of `npm test` and other work ran on the same two cores (load
 * average 8–11; the test files' plans run in parallel). Tests give the child this long, and
 * themselves a little longer (TEST_TIMEOUT_MS), so that the child's own failure is what is
 * reported.
 */
export const COMMAND_TIMEOUT_MS = 120_000;
export const TEST_TIMEOUT_MS = COMMAND_TIMEOUT_MS + 30_000;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs `scripts/<script>.ts` with `args`; resolves when it exits. */
export function runScript(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--require', TS_REQUIRE, path.join(root, 'scripts', `${script}.ts`), ...args],
      {
        cwd: options.cwd ?? root,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (status, signal) => {
      if (signal !== null) {
        fail(new Error(`${script} ${args.join(' ')} was killed (${signal})\n${stdout}\n${stderr}`));
      } else {
        done({ status, stdout, stderr });
      }
    });
  });
}
