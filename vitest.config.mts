import { defineConfig } from 'vitest/config';

const UNIT =
  '{charts,constructs,generators,infra,stacks,scripts,testing,backstage-config}/**/*.test.ts';
const CLUSTER = '**/*.cluster.test.ts';
/**
 * Files that need a module registry of their own: they run a Pulumi program (the SDK's runtime
 * and the program's module are global: one run per registry) or replace modules with vi.mock.
 */
const ISOLATED = [
  'stacks/components.test.ts',
  'stacks/index-config.test.ts',
  'stacks/index.test.ts',
  'testing/pulumi-mocks.test.ts',
  'infra/gitlab/resources.test.ts',
  'infra/gitlab/gitlab.test.ts',
];

/**
 * More files to leave out of the unit projects, comma-separated globs (`npm run bench` measures
 * the unit tests without the files that boot the portal this way: Vitest's `--exclude` does not
 * reach a project's own `include`).
 */
const EXCLUDED = (process.env.PLATFORM_TEST_EXCLUDE ?? '').split(',').filter((g) => g !== '');

export default defineConfig({
  test: {
    // Synthesis is CPU-bound and the suite is small: threads start faster than forks.
    pool: 'threads',
    // The built portal, before any file that boots it (testing/global-setup.ts).
    globalSetup: ['./testing/global-setup.ts'],
    exclude: ['**/node_modules/**'],
    projects: [
      {
        extends: true,
        test: {
          // The rest of `npm run test:unit`, sharing each worker's loaded modules from file to
          // file: most files load cdk8s, the Backstage packages or Pulumi's SDK, seconds each.
          name: 'unit',
          include: [UNIT],
          exclude: ['**/node_modules/**', CLUSTER, ...ISOLATED, ...EXCLUDED],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-isolated',
          include: ISOLATED,
          exclude: ['**/node_modules/**', ...EXCLUDED],
        },
      },
      {
        extends: true,
        test: {
          // etcd, kube-apiserver, Kro, Crossplane built from their Go modules (`npm run test:cluster`).
          name: 'cluster',
          include: [`{charts,constructs,backstage-config}/${CLUSTER}`],
        },
      },
    ],
  },
});
