import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { validateObject } from '../testing/schemas';

const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the plan CLI without blocking, so that the tests below run their plans in parallel. */
function plan(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn('node', ['--require', 'tsx/cjs', 'scripts/plan.ts', ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const devStack = fs.readFileSync(path.join(root, 'Pulumi.dev.yaml'), 'utf8');

/** Plans a stack file written from `config` (YAML); returns the run and the plan's path. */
async function planStack(name: string, config: string): Promise<Run & { out: string }> {
  const stackFile = path.join(work, `Pulumi.${name}.yaml`);
  const out = path.join(work, `${name}.yaml`);
  fs.writeFileSync(stackFile, config);
  return { ...(await plan('--stack', name, '--stack-file', stackFile, '--out', out)), out };
}

describe.concurrent('npm run plan', { timeout: 60_000 }, () => {
  it('writes the committed plan of the dev stack byte for byte (it is deterministic), and summarizes it', async () => {
    const out = path.join(work, 'dev.yaml');
    const run = await plan('--stack', 'dev', '--out', out);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/kubernetes:helm\.sh\/v3:Release\s+5/);
    expect(run.stdout).toMatch(/total\s+\d+/);
    expect(fs.readFileSync(out, 'utf8'), 'dist/plan/dev.yaml is stale: run `npm run plan`').toBe(
      fs.readFileSync(path.join(root, 'dist', 'plan', 'dev.yaml'), 'utf8'),
    );
  });

  it('exits non-zero with one line per configuration problem and no stack trace', async () => {
    const run = await planStack(
      'broken',
      'config:\n  platform:baseDomain: Not_A_Domain\n  platform:gitlabUrl: http://gitlab.example.com/\n',
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('platform:baseDomain: "Not_A_Domain" is not allowed');
    expect(run.stderr).toContain('platform:gitlabUrl: "http://gitlab.example.com/" is not allowed');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(2);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(run.out)).toBe(false);
  });

  it('backs the portal database up when a stack asks for it', async () => {
    const { status, out } = await planStack(
      'backup',
      `${devStack}  platform:databaseBackupEnabled: true\n  platform:databaseBackupDestinationPath: s3://acme-backups/portal\n  platform:databaseBackupCredentialsSecret: portal-backup-s3\n`,
    );
    expect(status).toBe(0);
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
});
