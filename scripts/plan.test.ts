import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, TEST_TIMEOUT_MS, type Run } from '../testing/cli';
import { validateObject } from '../testing/schemas';

const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const plan = (args: readonly string[], options?: Parameters<typeof runScript>[2]): Promise<Run> =>
  runScript('plan', args, options);

const devStack = fs.readFileSync(path.join(root, 'Pulumi.dev.yaml'), 'utf8');
const committed = (): string =>
  fs.readFileSync(path.join(root, 'dist', 'plan', 'dev.yaml'), 'utf8');

/** Plans a stack file written from `config` (YAML); returns the run and the plan's path. */
async function planStack(name: string, config: string): Promise<Run & { out: string }> {
  const stackFile = path.join(work, `Pulumi.${name}.yaml`);
  const out = path.join(work, `${name}.yaml`);
  fs.writeFileSync(stackFile, config);
  return { ...(await plan(['--stack', name, '--stack-file', stackFile, '--out', out])), out };
}

/**
 * One plan (each costs seconds of CPU) for two tests: the dev stack with 40 more customer groups
 * after its team-a, each with a member (80 resources, none of which the portal's release may wait
 * on), and the portal database's backups.
 */
let large: Promise<Run & { out: string }> | undefined;
const largeStack = (): Promise<Run & { out: string }> => {
  const groups = Array.from(
    { length: 40 },
    (_, i) =>
      `    - path: team-${i}\n      name: Team ${i}\n      visibility: private\n      members:\n        - userId: ${5000 + i}\n          accessLevel: developer\n`,
  ).join('');
  const backups =
    '  platform:databaseBackupEnabled: true\n  platform:databaseBackupDestinationPath: s3://acme-backups/portal\n  platform:databaseBackupCredentialsSecret: portal-backup-s3\n';
  large ??= planStack('large', `${devStack}${groups}${backups}`);
  return large;
};

const USAGE = /^usage: npm run plan -- \[--stack <name>\]/m;
/** A message for the user: no stack trace, no internals. */
const noTrace = (run: Run): void => {
  expect(run.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
};

describe.concurrent('npm run plan', { timeout: TEST_TIMEOUT_MS }, () => {
  it('writes the committed plan of the dev stack, byte for byte, from any process', async () => {
    // Two processes at once, differing in what a nondeterministic plan would leak: the time
    // zone, the locale, the working directory and the output path.
    const outs = [path.join(work, 'dev-a.yaml'), path.join(work, 'elsewhere', 'dev-b.yaml')];
    const [a, b] = await Promise.all([
      plan(['--stack', 'dev', '--out', outs[0]], { env: { TZ: 'UTC', LANG: 'C' } }),
      plan(['--stack-file', path.join(root, 'Pulumi.dev.yaml'), '--out', outs[1]], {
        cwd: os.tmpdir(),
        env: { TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8' },
      }),
    ]);
    for (const run of [a, b]) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/kubernetes:helm\.sh\/v3:Release\s+5/);
      expect(run.stdout).toMatch(/total\s+\d+/);
    }
    const [first, second] = outs.map((o) => fs.readFileSync(o, 'utf8'));
    expect(second, 'two runs of the plan differ').toBe(first);
    expect(first, 'dist/plan/dev.yaml is stale: run `npm run plan`').toBe(committed());
  });

  it('exits non-zero with one line per configuration problem and no stack trace', async () => {
    const run = await planStack(
      'broken',
      'config:\n  platform:baseDomain: Not_A_Domain\n  platform:gitlabUrl: http://gitlab.example.com/\n  platfrom:tlsClusterIssuer: letsencrypt\n',
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Invalid stack configuration in .*Pulumi\.broken\.yaml:$/m);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('  - '))).toEqual([
      '  - platfrom:tlsClusterIssuer is not allowed: "platfrom" is not a namespace of this stack; its settings are platform:<key> (did you mean platform:tlsClusterIssuer?), and pulumi:<key> for the engine',
      '  - platform:baseDomain: "Not_A_Domain" is not allowed; expected a DNS name such as "idp.example.com"',
      '  - platform:gitlabUrl: "http://gitlab.example.com/" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
    ]);
    noTrace(run);
    expect(fs.existsSync(run.out)).toBe(false);
  });

  it('names the file and line of a stack file it cannot read, without a stack trace', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'syntax',
        'config:\n  platform:baseDomain: idp.example.com\n\tplatform:gitlabUrl: https://gitlab.example.com\n',
        /^.*Pulumi\.syntax\.yaml:3:1: not valid YAML: Tabs are not allowed as indentation$/,
      ],
      ['empty', '# nothing yet\n', /^.*Pulumi\.empty\.yaml:1:1: the stack file is empty; .+$/],
      [
        'list',
        '- platform:baseDomain: idp.example.com\n',
        /^.*Pulumi\.list\.yaml:1:1: expected a map with `config:` \(a stack file\), found a list$/,
      ],
    ];
    const runs = await Promise.all(cases.map(([name, yaml]) => planStack(name, yaml)));
    runs.forEach((run, i) => {
      expect(run.status, cases[i][0]).toBe(1);
      expect(run.stderr.trimEnd(), cases[i][0]).toMatch(cases[i][2]);
      expect(run.stderr.trimEnd().split('\n'), cases[i][0]).toHaveLength(1);
      noTrace(run);
      expect(fs.existsSync(run.out)).toBe(false);
    });
  });

  it('answers an unknown option or stack with one line and the usage', async () => {
    const [option, stack, positional] = await Promise.all([
      plan(['--stak', 'dev']),
      plan(['--stack', 'prod']),
      plan(['dev']),
    ]);
    for (const [run, line] of [
      [option, "plan: Unknown option '--stak'"],
      [stack, 'plan: no stack "prod": there is no Pulumi.prod.yaml; the stacks are dev'],
      [positional, "plan: Unexpected argument 'dev'"],
    ] as const) {
      expect(run.status, line).toBe(2);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(line);
      expect(lines.slice(1).join('\n')).toMatch(USAGE);
      noTrace(run);
    }
  });

  it('backs the portal database up when a stack asks for it', async () => {
    const { status, stderr, out } = await largeStack();
    expect(status, stderr).toBe(0);
    const resources = (
      parse(fs.readFileSync(out, 'utf8')) as { resources: { type: string; inputs: any }[] }
    ).resources;
    const cluster = resources.find(
      (r) => r.type === 'kubernetes:postgresql.cnpg.io/v1:Cluster',
    )!.inputs;
    expect(validateObject(cluster)).toEqual([]);
    expect(cluster.spec.backup).toMatchObject({
      retentionPolicy: '30d',
      barmanObjectStore: {
        destinationPath: 's3://acme-backups/portal',
        s3Credentials: { accessKeyId: { name: 'portal-backup-s3', key: 'ACCESS_KEY_ID' } },
      },
    });
    const scheduled = resources.find(
      (r) => r.type === 'kubernetes:postgresql.cnpg.io/v1:ScheduledBackup',
    )!.inputs;
    expect(scheduled.spec).toEqual({
      schedule: '0 0 3 * * *',
      cluster: { name: 'portal-db' },
      backupOwnerReference: 'self',
    });
  });

  it('refuses backups without a destination', async () => {
    const run = await planStack('nobackup', `${devStack}  platform:databaseBackupEnabled: true\n`);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'platform:databaseBackupDestinationPath is required when databaseBackupEnabled is true',
    );
    expect(run.stderr).toContain(
      'platform:databaseBackupCredentialsSecret is required when databaseBackupEnabled is true',
    );
  });

  it('declares only the enabled add-ons and the APIs their controllers serve', async () => {
    const { status, out } = await planStack(
      'lean',
      `${devStack}  platform:enabledAddons: [crossplane]\n`,
    );
    expect(status).toBe(0);
    const doc = parse(fs.readFileSync(out, 'utf8')) as {
      resources: { type: string; name: string }[];
      outputs: any;
    };
    const types = new Set(doc.resources.map((r) => r.type));
    expect(doc.resources.map((r) => r.name)).not.toContain('portal-namespace');
    expect(types).toContain('platform:crossplane:Crossplane');
    for (const absent of [
      'platform:kro:Kro',
      'platform:postgres:CloudNativePg',
      'platform:backstage:Backstage',
      'kubernetes:kro.run/v1alpha1:ResourceGraphDefinition',
    ]) {
      expect(types.has(absent), absent).toBe(false);
    }
    expect(types).toContain(
      'kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition',
    );
    expect(doc.outputs.installedVersions).toEqual({
      crossplane: '2.3.4',
      crossplaneFunctions: { patchAndTransform: 'v0.10.8', autoReady: 'v0.7.0' },
    });
  });

  it('makes the portal wait for the Secrets it reads, not for every customer group', async () => {
    const { status, stderr, out } = await largeStack();
    expect(status, stderr).toBe(0);
    const resources = (
      parse(fs.readFileSync(out, 'utf8')) as {
        resources: { type: string; name: string; dependsOn?: string[] }[];
      }
    ).resources;
    expect(resources.filter((r) => r.type === 'gitlab:index/group:Group')).toHaveLength(44);
    const release = resources.find((r) => r.name === 'backstage-chart')!;
    // Its own objects, the namespace, the database (with this stack's backups, their schedule),
    // the four Secrets of its GitLab credentials and the two tokens whose creation time restarts
    // it on rotation.
    expect(release.dependsOn).toEqual([
      'gitlab:index/groupAccessToken:GroupAccessToken::gitlab-portal-read-token',
      'gitlab:index/projectAccessToken:ProjectAccessToken::gitlab-portal-scaffolder-token',
      'kubernetes:core/v1:ConfigMap::backstage-env',
      'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-base',
      'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-production',
      'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-stack',
      'kubernetes:core/v1:Namespace::portal-namespace',
      'kubernetes:core/v1:PersistentVolumeClaim::backstage-techdocs',
      'kubernetes:core/v1:Secret::backstage-external-access',
      'kubernetes:core/v1:Secret::gitlab-oauth-client',
      'kubernetes:core/v1:Secret::gitlab-portal-read-token',
      'kubernetes:core/v1:Secret::gitlab-portal-scaffolder-token',
      'kubernetes:core/v1:Secret::gitlab-portal-webhook',
      'kubernetes:core/v1:Secret::portal-database-credentials',
      'kubernetes:postgresql.cnpg.io/v1:Cluster::portal-database-cluster',
      'kubernetes:postgresql.cnpg.io/v1:ScheduledBackup::portal-database-daily-backup',
      'random:index/randomPassword:RandomPassword::portal-database-password',
    ]);
  });
});
