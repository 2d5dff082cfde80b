/**
 * Runs one of the claims pipeline's shell checks (generators/claims-repository/) for real, with
 * `sh` (and `jq`, as the pipeline image has them), in a temporary checkout holding `files`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFiles } from './scaffolder';

export interface CheckRun {
  readonly status: number;
  readonly stderr: string;
}

/** The pipeline's variables the checks read (the dev stack's customers group). */
export const CHECK_ENV = { CUSTOMERS_GROUP_PATH: 'acme-platform/customers' } as const;

export function runClaimsCheck(
  script: string,
  files: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string>> = CHECK_ENV,
): CheckRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-checkout-'));
  try {
    writeFiles(dir, files);
    const run = spawnSync('sh', ['-c', script], {
      cwd: dir,
      env: { ...process.env, ...env },
      // Under a second even on a loaded two-core machine: a run this long is hung.
      timeout: 30_000,
    });
    return { status: run.status ?? -1, stderr: run.stderr.toString() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
