import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const UNIT =
  '{charts,constructs,generators,infra,stacks,scripts,testing,backstage-config}/**/*.test.ts';
const CLUSTER = '**/*.cluster.test.ts';
/**
 * Files that need a module registry of their own: they run a Pulumi program (the SDK's runtime
 * and the program's module are global: one run per registry) or replace modules with vi.mock.
 */
const ISOLATED = [
  'stacks/index-config.test.ts',
  'stacks/index.test.ts',
  'testing/pulumi-mocks.test.ts',
  'infra/gitlab/resources.test.ts',
  'infra/gitlab/gitlab.test.ts',
];
/** The files that boot the portal (PostgreSQL, its backend, Chromium, the image's install). */
export const PORTAL = [
  'backstage-config/backend/browser.test.ts',
  'backstage-config/backend/e2e.test.ts',
  'backstage-config/backend/image.test.ts',
];

/**
 * The unit files are CPU-bound (synthesis, scaffolder runs, schema compilations, the processes
 * they start): one worker per core. Vitest's default leaves a core to its main thread, which
 * here does little: on two cores that is one worker, and the unit files took twice as long.
 */
const UNIT_WORKERS = Math.max(2, availableParallelism());

const require = createRequire(__filename);

export default defineConfig({
  resolve: {
    // The CommonJS build of the Backstage packages the tests import, which the Backstage modules
    // they run require too: their ES builds (`.esm.js` in packages that are not ES modules) would
    // be transformed and loaded a second time, each kind's validator compiled again.
    alias: ['@backstage/catalog-model', '@backstage/integration'].map((name) => ({
      find: new RegExp(`^${name}$`),
      replacement: require.resolve(name),
    })),
  },
  test: {
    // Synthesis is CPU-bound and the suite is small: threads start faster than forks.
    pool: 'threads',
    // The built portal, before any file that boots it (testing/global-setup.ts).
    globalSetup: ['./testing/global-setup.ts'],
    // In every worker: Pulumi's SDK loaded as the commands load it (scripts/pulumi-lazy.cjs).
    setupFiles: ['./testing/worker-setup.ts'],
    exclude: ['**/node_modules/**'],
    projects: [
      {
        extends: true,
        test: {
          // The rest of `npm run test:unit`, sharing each worker's loaded modules from file to
          // file: most files load cdk8s, the Backstage packages or Pulumi's SDK, seconds each.
          name: 'unit',
          include: [UNIT],
          exclude: ['**/node_modules/**', CLUSTER, ...ISOLATED, ...PORTAL],
          isolate: false,
          maxWorkers: UNIT_WORKERS,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-isolated',
          include: ISOLATED,
          maxWorkers: UNIT_WORKERS,
        },
      },
      {
        extends: true,
        test: {
          // After the unit files, one file at a time: each starts PostgreSQL and a backend (and
          // Chromium, or the image's install) and waits on them with timeouts that a second
          // file booting beside it on two cores would make tight.
          name: 'portal',
          include: PORTAL,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // etcd, kube-apiserver, Kro, Crossplane built from their Go modules (`npm run
          // test:cluster`), after the unit files and one file at a time, as the portal's.
          name: 'cluster',
          include: [`{charts,constructs,backstage-config}/${CLUSTER}`],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
