/**
 * Every component checks its arguments where they enter, before it declares anything (no Pulumi
 * runtime runs here: a component that declared a resource first would fail differently).
 */
import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { stackArgs } from '../testing/dev-args';
import { ArgumentsChecker, ComponentArgumentsError } from './arguments';
import { Backstage, checkBackstageArgs, type BackstageArgs } from './backstage';
import {
  checkPortalDatabaseArgs,
  CloudNativePg,
  PortalDatabase,
  type PortalDatabaseArgs,
} from './cloudnative-pg';
import { Crossplane } from './crossplane';
import { GitlabAgent } from './gitlab-agent';
import { GitlabPlatform, type GitlabPlatformArgs } from './gitlab/gitlab';
import { checkGitlabSettings } from './gitlab/gitlab-arguments';
import { Kro } from './kro';

const provider = {} as k8s.Provider;

/** The problems a construction reports, as `propertyPath: reason` (or the other error thrown). */
function problems(construct: () => unknown): string[] {
  try {
    construct();
  } catch (e) {
    if (e instanceof ComponentArgumentsError) {
      expect(e).toBeInstanceOf(pulumi.RunError);
      expect(e.message.split('\n')[0]).toMatch(/^Invalid arguments for platform:[a-z]+:\w+ "x":$/);
      return e.errors.map((d) => `${d.propertyPath}: ${d.reason}`);
    }
    throw e;
  }
  throw new Error('the component accepted its arguments');
}

describe('component arguments', () => {
  it('names the chart version and namespace of an add-on', () => {
    for (const Component of [Crossplane, Kro, CloudNativePg]) {
      expect(
        problems(
          () => new Component('x', { provider, chartVersion: '2.x', namespace: 'Kro_System' }),
        ),
      ).toEqual([
        'chartVersion: "2.x" is not allowed; expected an exact chart version such as "1.2.3"',
        'namespace: "Kro_System" is not allowed; expected a namespace name (a DNS label such as "backstage")',
      ]);
    }
    expect(
      problems(
        () => new Kro('x', { provider, chartVersion: '0.9.3', passwordSeedSecretName: 'Seed!' }),
      ),
    ).toEqual([
      'passwordSeedSecretName: "Seed!" is not allowed; expected a Kubernetes object name (a DNS subdomain such as "backstage-tls")',
    ]);
  });

  it("rejects the portal's image repository without a registry, which the chart would misparse", () => {
    const dev = stackArgs().backstage!;
    const args = (over: Partial<BackstageArgs>): BackstageArgs => ({
      ...dev,
      provider,
      namespace: 'backstage',
      database: { host: 'h', secretName: 's', name: 'backstage', cluster: 'portal-db' },
      gitlab: {
        ...dev.gitlab,
        oauthSecretName: 'o',
        readTokenSecretName: 'r',
        scaffolderTokenSecretName: 's',
        tokensCreatedAt: 't',
      },
      ...over,
    });
    expect(
      problems(() => new Backstage('x', args({ imageRepository: 'acme/platform-portal' }))),
    ).toEqual([
      'imageRepository: "acme/platform-portal" is not allowed; expected an image repository with its registry and without tag, such as "ghcr.io/acme/platform-portal"',
    ]);
    expect(
      problems(
        () =>
          new Backstage(
            'x',
            args({
              imageTag: 'latest',
              host: 'Portal',
              adminGroups: ['platform-team'],
              customResources: [{ group: 'Platform', resource: 'x' }],
              gitlab: { ...args({}).gitlab, url: 'http://gitlab.example.com/' },
            }),
          ),
      ),
    ).toEqual([
      'imageTag: "latest" is not allowed; expected an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
      'host: "Portal" is not allowed; expected a host name such as "backstage.idp.example.com"',
      'customResources[0].group: "Platform" is not allowed; expected an API group (a DNS subdomain, or "" for the core group)',
      'gitlab.url: "http://gitlab.example.com/" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
      'adminGroups[0]: "platform-team" is not allowed; expected a group entity reference such as "group:default/platform-team"',
    ]);
    // The dev stack's own arguments pass, a registry with a port too.
    expect(() => checkBackstageArgs('x', args({}))).not.toThrow();
    expect(() =>
      checkBackstageArgs('x', args({ imageRepository: 'localhost:5000/platform-portal' })),
    ).not.toThrow();
  });

  it('names bad database arguments, backup included', () => {
    const base: PortalDatabaseArgs = {
      provider,
      namespace: 'backstage',
      operator: {} as CloudNativePg,
      instances: 2,
      storageSize: '10Gi',
    };
    expect(
      problems(
        () =>
          new PortalDatabase('x', {
            ...base,
            instances: 0,
            storageSize: '10G',
            backup: { destinationPath: 'https://bucket', credentialsSecret: '' },
          }),
      ),
    ).toEqual([
      'instances: 0 is not allowed; expected an integer from 1 to 9',
      'storageSize: "10G" is not allowed; expected a size in Gi such as "10Gi"',
      'backup.destinationPath: "https://bucket" is not allowed; expected an s3:// URL such as "s3://acme-backups/portal"',
      'backup.credentialsSecret: "" is not allowed; expected a Kubernetes object name (a DNS subdomain such as "backstage-tls")',
    ]);
    expect(() =>
      checkPortalDatabaseArgs('x', {
        ...base,
        backup: { destinationPath: 's3://acme-backups/portal', credentialsSecret: 'backup-s3' },
      }),
    ).not.toThrow();
  });

  it('names bad GitLab arguments: URL, group tree, customer groups, claims project', () => {
    const dev = stackArgs().gitlab!;
    const args: GitlabPlatformArgs = {
      ...dev,
      kubernetesProvider: provider,
      adminToken: 't',
      portalNamespace: 'backstage',
      gitlabUrl: 'https://gitlab.example.com/',
      groups: {
        platform: 'acme/platform',
        platformTeam: 'other/team',
        customers: 'acme/platform/customers',
      },
      customerGroups: [{ path: 'Team A', name: '', visibility: 'private', members: [] }],
      claimsProject: 'claims/x',
    };
    expect(problems(() => new GitlabPlatform('x', args))).toEqual([
      'gitlabUrl: "https://gitlab.example.com/" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
      'groups.platform: "acme/platform" is not allowed; expected a top-level group path (one segment) such as "platform"',
      'groups.platformTeam: "other/team" is not allowed; expected a direct subgroup of groups.platform',
      'groups.customers: "acme/platform/customers" is not allowed; expected a direct subgroup of groups.platform',
      'customerGroups[0].path: "Team A" is not allowed; expected a DNS label such as "team-a"',
      'customerGroups[0].name: "" is not allowed; expected a non-empty name of at most 255 characters',
      'claimsProject: "claims/x" is not allowed; expected a DNS label such as "claims"',
    ]);
    expect(() =>
      checkGitlabSettings('platform:gitlab:GitlabPlatform', 'x', dev).done(),
    ).not.toThrow();
  });

  it("names the agent's bad arguments", () => {
    expect(
      problems(
        () =>
          new GitlabAgent('x', {
            provider,
            chartVersion: '2.1',
            gitlabUrl: 'gitlab.example.com',
            token: 't',
            claimsProjectId: '1',
            claimResources: [],
          }),
      ),
    ).toEqual([
      'chartVersion: "2.1" is not allowed; expected an exact chart version such as "1.2.3"',
      'gitlabUrl: "gitlab.example.com" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
      'claimResources: [] is not allowed; expected at least one { group, resource }',
    ]);
  });

  it('leaves Outputs to the resources they reach, and reports nothing for good values', () => {
    expect(() =>
      new ArgumentsChecker('platform:test:T', 'x')
        .namespace('namespace', pulumi.output('Not_Known_Yet'))
        .objectName('secret', undefined, true)
        .done(),
    ).not.toThrow();
  });
});
