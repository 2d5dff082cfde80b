import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_STACK_FILE, stackArgs } from '../testing/dev-args';
import { planConfig } from '../testing/plan';
import { versions } from '../versions';
import { componentArgs, type StackInputs } from './component-args';
import { parseStackConfig } from './config';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'component-args-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const devStack = fs.readFileSync(DEV_STACK_FILE, 'utf8');

/** componentArgs for the dev stack with `extra` (stack file lines) added. */
function argsWith(name: string, extra: string): ReturnType<typeof stackArgs> {
  const file = path.join(work, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, `${devStack}${extra}`);
  return stackArgs(file);
}

const INPUTS: StackInputs = {
  apis: {
    teamNamespace: { api: { group: 'platform.example.org', plural: 'teamnamespaces' } },
    database: { api: { group: 'platform.example.org', plural: 'postgresdatabases' } },
  },
  configLayers: [],
  claimsFiles: {},
  signInScopes: ['read_user', 'openid'],
  templateScopes: ['api', 'read_user'],
};

describe('the arguments of every component, from the configuration', () => {
  it('gives the dev stack every add-on, at the configured versions', () => {
    const args = stackArgs();
    expect(Object.keys(args).sort()).toEqual([
      'backstage',
      'cloudnativePg',
      'crossplane',
      'gitlab',
      'gitlabAgent',
      'kro',
      'kubernetesProvider',
      'portalDatabase',
      'portalNamespace',
    ]);
    expect(args.kubernetesProvider).toEqual({ enableServerSideApply: true });
    expect(args.crossplane).toEqual({ chartVersion: versions.crossplane.chart });
    expect(args.kro).toEqual({ chartVersion: versions.kro.chart });
    expect(args.cloudnativePg).toEqual({ chartVersion: versions.cloudnativePg.chart });
    expect(args.portalNamespace).toBe(true);
    expect(args.portalDatabase).toEqual({ instances: 1, storageSize: '5Gi' });
    expect(args.gitlabAgent).toEqual({
      chartVersion: versions.gitlabAgent.chart,
      gitlabUrl: 'https://gitlab.example.com',
      claimResources: [
        { group: 'platform.example.org', resource: 'teamnamespaces' },
        { group: 'platform.example.org', resource: 'postgresdatabases' },
      ],
    });
    expect(args.gitlab).toMatchObject({
      gitlabUrl: 'https://gitlab.example.com',
      groups: {
        platform: 'acme-platform',
        platformTeam: 'acme-platform/platform-team',
        customers: 'acme-platform/customers',
      },
      backstageHost: 'backstage.idp.dev.example.com',
      claimsProject: 'claims',
      signInScopes: ['api', 'read_user'],
    });
    expect(Object.keys(args.gitlab!.claimsFiles).sort()).toEqual(['.gitlab-ci.yml', 'README.md']);
    expect(args.backstage).toMatchObject({
      chartVersion: versions.backstage.chart,
      imageRepository: versions.backstage.image.repository,
      imageTag: versions.backstage.image.tag,
      host: 'backstage.idp.dev.example.com',
      tlsClusterIssuer: 'letsencrypt-staging',
      techdocs: { volumeSize: '5Gi' },
      adminGroups: ['group:default/platform-team'],
      gitlab: {
        url: 'https://gitlab.example.com',
        platformGroup: 'acme-platform',
        claimsProject: 'claims',
        customersGroup: 'acme-platform/customers',
      },
    });
    expect(args.backstage!.techdocs.bucket).toBeUndefined();
    expect(args.backstage!.configLayers.map((l) => l.file)).toEqual([
      'app-config.yaml',
      'app-config.production.yaml',
    ]);
  });

  it('gives only the enabled add-ons arguments, and the APIs their controllers serve', () => {
    const lean = argsWith('lean', '  platform:enabledAddons: [crossplane]\n');
    expect(Object.keys(lean).sort()).toEqual([
      'crossplane',
      'kubernetesProvider',
      'portalNamespace',
    ]);
    expect(lean.portalNamespace).toBe(false);
    const noPortal = argsWith(
      'noportal',
      '  platform:enabledAddons: [kro, cloudnativePg, gitlab]\n',
    );
    expect(noPortal.backstage).toBeUndefined();
    expect(noPortal.portalNamespace).toBe(true);
    // No Crossplane: the agent may apply databases only.
    expect(noPortal.gitlabAgent!.claimResources).toEqual([
      { group: 'platform.example.org', resource: 'postgresdatabases' },
    ]);
  });

  it('groups optional settings into the objects the components take', () => {
    const args = argsWith(
      'full',
      [
        '  platform:databaseBackupEnabled: true',
        '  platform:databaseBackupDestinationPath: s3://acme-backups/portal',
        '  platform:databaseBackupCredentialsSecret: portal-backup-s3',
        '  platform:databaseBackupEndpointUrl: https://minio.example.com',
        '  platform:techdocsBucket: acme-techdocs',
        '  platform:techdocsEndpoint: https://minio.example.com',
        '  platform:techdocsCredentialsSecret: techdocs-s3',
        '  platform:storageClassName: fast',
        '  platform:kubeContext: prod',
        '',
      ].join('\n'),
    );
    expect(args.kubernetesProvider).toEqual({ context: 'prod', enableServerSideApply: true });
    expect(args.portalDatabase).toEqual({
      instances: 1,
      storageSize: '5Gi',
      storageClassName: 'fast',
      backup: {
        destinationPath: 's3://acme-backups/portal',
        credentialsSecret: 'portal-backup-s3',
        endpointUrl: 'https://minio.example.com',
      },
    });
    expect(args.backstage!.techdocs).toEqual({
      bucket: {
        name: 'acme-techdocs',
        // techdocsRegion's default.
        region: 'us-east-1',
        endpoint: 'https://minio.example.com',
        credentialsSecret: 'techdocs-s3',
      },
      volumeSize: '5Gi',
    });
  });

  it("asks GitLab for the union of sign-in's and the templates' scopes, once each, sorted", () => {
    const config = parseStackConfig(planConfig(DEV_STACK_FILE));
    expect(componentArgs(config, INPUTS).gitlab!.signInScopes).toEqual([
      'api',
      'openid',
      'read_user',
    ]);
  });

  it('names the key when a value the configuration rules guarantee is missing', () => {
    const config = parseStackConfig(planConfig(DEV_STACK_FILE));
    expect(() => componentArgs({ ...config, techdocsBucket: 'acme-techdocs' }, INPUTS)).toThrow(
      'componentArgs: platform:techdocsCredentialsSecret is unset although techdocsBucket is set; the configuration rules (stacks/config-rules.ts) require it',
    );
    expect(() => componentArgs({ ...config, databaseBackupEnabled: true }, INPUTS)).toThrow(
      /platform:databaseBackupDestinationPath is unset although databaseBackupEnabled is true/,
    );
  });
});
