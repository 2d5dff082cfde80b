/**
 * Before any test file: the built portal (the app bundle and the compiled backend) that the
 * portal's tests boot (e2e, browser, image, the Kubernetes view), built once when missing or
 * older than its sources. Built here rather than by the first test file that needs it, since
 * files run in parallel: two builds into one folder, or a backend booted while the app is being
 * written, would make the tests depend on their order.
 */
import * as fs from 'node:fs';
import { makeTestOutdir, TEST_OUTDIR_ENV } from './cdk8s-app';
import { ensurePortalBuilt, stalePortalParts } from './portal-build';

/** The app build takes one to two minutes on two loaded cores; allow for much worse. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Also: the one folder of every test's cdk8s app (testing/cdk8s-app.ts), removed at the end. */
export default function setup(): () => void {
  const outdir = makeTestOutdir();
  process.env[TEST_OUTDIR_ENV] = outdir;
  const teardown = (): void => fs.rmSync(outdir, { recursive: true, force: true });
  const stale = stalePortalParts();
  if (stale.length === 0) return teardown;
  const start = Date.now();
  console.log(`portal: building ${stale.join(' and ')} (npm run build)...`);
  ensurePortalBuilt(BUILD_TIMEOUT_MS);
  console.log(`portal: built in ${Math.round((Date.now() - start) / 1000)} s`);
  return teardown;
}
