/**
 * A cdk8s app for tests. cdk8s's own `Testing.app()` makes a temporary folder for every app and
 * never removes it (thousands after a few runs of the suite). The tests synthesize in memory
 * (`Testing.synth`), nothing writes there: every test app shares one folder, the run's
 * (testing/global-setup.ts makes it and removes it at the end), or one per process outside Vitest.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type App, Chart, Testing } from 'cdk8s';

/** The variable through which the global setup hands its folder to the test workers. */
export const TEST_OUTDIR_ENV = 'PLATFORM_CDK8S_TEST_OUTDIR';

/** A new folder for test apps' output (the caller removes it). */
export function makeTestOutdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-test-'));
}

let own: string | undefined;

export function testApp(): App {
  const outdir = process.env[TEST_OUTDIR_ENV] ?? (own ??= makeTestOutdir());
  return Testing.app({ outdir });
}

/** A chart of its own app, as `Testing.chart()`. */
export function testChart(): Chart {
  return new Chart(testApp(), 'test');
}
