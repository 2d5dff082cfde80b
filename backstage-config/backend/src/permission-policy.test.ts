import { ConfigReader } from '@backstage/config';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogLocationCreatePermission,
} from '@backstage/plugin-catalog-common/alpha';
import { kubernetesResourcesReadPermission } from '@backstage/plugin-kubernetes-common';
import { AuthorizeResult, createPermission } from '@backstage/plugin-permission-common';
import type { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackConfigLayer } from '../../../infra/backstage-spec';
import { PlatformPermissionPolicy } from './permission-policy';

const user = (name: string, groups: string[]): PolicyQueryUser =>
  ({
    info: {
      userEntityRef: `user:default/${name}`,
      ownershipEntityRefs: [`user:default/${name}`, ...groups],
    },
  }) as unknown as PolicyQueryUser;

// The policy's data as the stack generates it for the dev stack's group tree.
const layer = parse(
  JSON.stringify(
    stackConfigLayer({
      techdocs: { volumeSize: '5Gi' },
      adminGroups: ['group:default/platform-team'],
    }),
  ),
);
const policy = PlatformPermissionPolicy.fromConfig(new ConfigReader(layer));
const decide = async (permission: any, u?: PolicyQueryUser) =>
  (await policy.handle({ permission }, u)).result;

const platformEngineer = user('pat', ['group:default/platform-team']);
const teamMember = user('jane', ['group:default/customers-team-a']);
const outsider = user('guest', []);
const somethingElse = createPermission({ name: 'other.plugin.admin', attributes: {} });

describe('the portal permission policy', () => {
  it('lets the platform team do everything', async () => {
    for (const p of [somethingElse, catalogEntityDeletePermission, taskCreatePermission]) {
      expect(await decide(p, platformEngineer), p.name).toBe(AuthorizeResult.ALLOW);
    }
  });

  it('lets team members run templates, register components and see Kubernetes resources', async () => {
    for (const p of [
      taskCreatePermission,
      catalogLocationCreatePermission,
      kubernetesResourcesReadPermission,
    ]) {
      expect(await decide(p, teamMember), p.name).toBe(AuthorizeResult.ALLOW);
    }
    expect(await decide(somethingElse, teamMember)).toBe(AuthorizeResult.DENY);
  });

  it('lets team members delete only entities their teams own', async () => {
    const decision = await policy.handle({ permission: catalogEntityDeletePermission }, teamMember);
    expect(decision).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: ['user:default/jane', 'group:default/customers-team-a'] },
      },
    });
  });

  it('lets everyone else read the catalog, and nothing more', async () => {
    expect(await decide(catalogEntityReadPermission, outsider)).toBe(AuthorizeResult.ALLOW);
    for (const p of [
      taskCreatePermission,
      catalogEntityDeletePermission,
      kubernetesResourcesReadPermission,
    ]) {
      expect(await decide(p, outsider), p.name).toBe(AuthorizeResult.DENY);
    }
    expect(await decide(catalogEntityReadPermission, undefined)).toBe(AuthorizeResult.DENY);
  });

  it('refuses to start without an admin group', () => {
    expect(() => new PlatformPermissionPolicy([])).toThrow(/adminGroups/);
  });
});
