/**
 * GitlabPlatform's outputs, from the component alone under Pulumi's mocks (its own file: Pulumi's
 * runtime is global, one program run per test file). The group tree's paths are GitLab's
 * (`fullPath`): the mocks give each group its resource name, so each output names its source.
 */
import * as k8s from '@pulumi/kubernetes';
import { expect, it } from 'vitest';
import { devGitlab } from '../../testing/dev-args';
import { runUnderMocks } from '../../testing/pulumi-mocks';
import { GitlabPlatform } from './gitlab';

it('keeps customer groups named like the tree (platform, customers) apart from it', async () => {
  const customer = (path: string) =>
    ({ path, name: path, visibility: 'private', members: [] }) as const;
  const { exports } = await runUnderMocks({
    stack: 'groups',
    config: {},
    mockOutputs: (type, name) => (type === 'gitlab:index/group:Group' ? { fullPath: name } : {}),
    load: () => {
      const gitlab = new GitlabPlatform('gitlab', {
        ...devGitlab(),
        customerGroups: [customer('platform'), customer('customers'), customer('team-a')],
        kubernetesProvider: new k8s.Provider('kubernetes', {}),
        adminToken: 'token',
        portalNamespace: 'backstage',
      });
      return { groupPaths: gitlab.groupPaths };
    },
  });
  expect(exports).toEqual({
    groupPaths: {
      platform: 'gitlab-platform-group',
      platformTeam: 'gitlab-platform-team-group',
      customers: 'gitlab-customers-group',
      customerGroups: {
        platform: 'gitlab-customer-platform',
        customers: 'gitlab-customer-customers',
        'team-a': 'gitlab-customer-team-a',
      },
    },
  });
});
