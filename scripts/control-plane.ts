/**
 * `npm run build:control-plane`: builds every program of testing/control-plane/ that the cache
 * lacks (the tests build them on first use anyway), printing what each build took, and the
 * total. CI runs it before the tests so that the build time shows on its own line.
 */
import { controlPlaneCommand, UPSTREAM_PROGRAMS } from '../testing/control-plane-build';

async function main(): Promise<void> {
  const started = Date.now();
  await controlPlaneCommand('pki');
  for (const program of UPSTREAM_PROGRAMS) await controlPlaneCommand(program);
  console.log(
    `control-plane: every program ready in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
