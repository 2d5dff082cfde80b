/**
 * Run by every test worker before each test file (vitest.config.mts, setupFiles): what the
 * commands' loader also installs (scripts/ts-require.cjs), so that the tests load Pulumi's SDK as
 * `npm run plan` and the Pulumi program do. Idempotent: a worker that runs many files installs
 * it once.
 */
import { createRequire } from 'node:module';

createRequire(__filename)('../scripts/pulumi-lazy.cjs');
