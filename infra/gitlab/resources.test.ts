import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  runUnderMocks,
  SECRET_MARKER,
  UNKNOWN_MARKER,
  type RunResult,
} from '../../testing/pulumi-mocks';
import { checkInputs, documentedValues, providerSchema } from '../../testing/pulumi-schema';
import { versions } from '../../versions';
import { Application, GitlabProvider, Group, GroupAccessToken, GroupMembership } from './resources';

const extract = providerSchema('pulumi-gitlab.schema.extract.json');
const full = providerSchema('pulumi-gitlab.schema.json');
const masked = (v: unknown): boolean => v === SECRET_MARKER || v === UNKNOWN_MARKER;
const TOKEN = 'glpat-canary-admin-token-0000';

let result: RunResult;
const probes = {} as { app: Application; token: GroupAccessToken };

beforeAll(async () => {
  result = await runUnderMocks({
    stack: 'test',
    config: {},
    mockOutputs: (type) =>
      type === 'gitlab:index/application:Application'
        ? { applicationId: 'client-id', secret: 'gloas-canary-client-secret' }
        : type === 'gitlab:index/groupAccessToken:GroupAccessToken'
          ? { token: 'glgat-canary-token' }
          : {},
    load: () => {
      const provider = new GitlabProvider('gitlab', {
        baseUrl: 'https://gitlab.example.com/api/v4/',
        token: TOKEN,
      });
      const root = new Group(
        'root',
        {
          path: 'platform',
          name: 'Platform',
          visibilityLevel: 'private',
          description: 'd',
          requestAccessEnabled: false,
          projectCreationLevel: 'maintainer',
          subgroupCreationLevel: 'owner',
          preventForkingOutsideGroup: true,
        },
        { provider },
      );
      const child = new Group(
        'child',
        {
          path: 'customers',
          name: 'Customers',
          parentId: root.groupId,
          visibilityLevel: 'internal',
        },
        { provider },
      );
      new GroupMembership(
        'member',
        { groupId: child.groupId, userId: 42, accessLevel: 'developer', expiresAt: '2027-01-31' },
        { provider },
      );
      probes.app = new Application(
        'oauth',
        {
          name: 'Backstage',
          redirectUrl: 'https://backstage.example.com/api/auth/gitlab/handler/frame',
          scopes: ['read_user', 'read_api', 'openid', 'profile', 'email'],
          confidential: true,
        },
        { provider },
      );
      probes.token = new GroupAccessToken(
        'token',
        {
          group: root.id,
          name: 'catalog',
          description: 'd',
          scopes: ['read_api', 'read_repository'],
          accessLevel: 'reporter',
          rotationConfiguration: { expirationDays: 90, rotateBeforeDays: 14 },
        },
        { provider },
      );
      return { secret: probes.app.secret, token: probes.token.token };
    },
  });
});

describe('GitLab resources', () => {
  it('sends only inputs the provider schema knows, with valid values in wire form', () => {
    const gitlab = result.entries.filter(
      (e) => e.type.startsWith('gitlab:') || e.type === 'pulumi:providers:gitlab',
    );
    expect(gitlab.map((e) => e.type).sort()).toEqual([
      'gitlab:index/application:Application',
      'gitlab:index/group:Group',
      'gitlab:index/group:Group',
      'gitlab:index/groupAccessToken:GroupAccessToken',
      'gitlab:index/groupMembership:GroupMembership',
      'pulumi:providers:gitlab',
    ]);
    for (const e of gitlab) {
      expect(checkInputs(extract, e.type, e.inputs, masked), `${e.type} ${e.name}`).toEqual([]);
      if (!e.type.startsWith('pulumi:providers:')) {
        expect(full.resources[e.type], e.type).toBeDefined();
      }
    }
  });

  it('pins the official provider plugin on every GitLab resource', () => {
    for (const e of result.entries) {
      expect(e.version, `${e.type} ${e.name}`).toBe(versions.pulumiGitlab);
    }
  });

  it('keeps the admin token, client secrets and tokens secret', async () => {
    const provider = result.entries.find((e) => e.type === 'pulumi:providers:gitlab')!;
    expect((provider.inputs as Record<string, unknown>).token).toBe(SECRET_MARKER);
    expect(JSON.stringify(result)).not.toMatch(
      new RegExp(`${TOKEN}|canary-client-secret|canary-token`),
    );
    expect(await pulumi.isSecret(probes.app.secret)).toBe(true);
    expect(await pulumi.isSecret(probes.token.token)).toBe(true);
    expect(result.exports).toEqual({ secret: SECRET_MARKER, token: SECRET_MARKER });
  });
});

describe('the provider schema check', () => {
  it('reads the valid values of a property in wire form', () => {
    const scopes =
      extract.resources['gitlab:index/application:Application'].inputProperties!.scopes;
    expect(documentedValues(scopes.description)).toEqual(
      expect.arrayContaining([
        'api',
        'read_api',
        'read_user',
        'read_repository',
        'openid',
        'profile',
        'email',
      ]),
    );
    expect(documentedValues(scopes.description)).not.toContain('readApi');
  });

  it('reports unknown inputs, missing required inputs, wrong types and camel-cased values', () => {
    expect(
      checkInputs(extract, 'gitlab:index/application:Application', {
        name: 'x',
        scopes: ['readUser'],
        redirectURL: 'u',
      }),
    ).toEqual([
      'gitlab:index/application:Application: required input redirectUrl is missing',
      'gitlab:index/application:Application.scopes[0]: "readUser" is not one of ["api","read_api","read_user","read_repository","write_repository","read_registry","write_registry","sudo","admin_mode","openid","profile","email"]',
      'gitlab:index/application:Application: redirectURL is not an input of this resource',
    ]);
    expect(
      checkInputs(extract, 'gitlab:index/groupMembership:GroupMembership', {
        groupId: '1',
        userId: 2,
        accessLevel: 'admin',
      }),
    ).toEqual([
      'gitlab:index/groupMembership:GroupMembership.groupId: expected an integer, got "1"',
      'gitlab:index/groupMembership:GroupMembership.accessLevel: "admin" is not one of ["no one","minimal","guest","planner","reporter","security_manager","developer","maintainer","owner"]',
    ]);
    expect(
      checkInputs(extract, 'gitlab:index/groupAccessToken:GroupAccessToken', {
        group: 'g',
        scopes: ['api'],
        rotationConfiguration: { expirationDays: 30 },
      }),
    ).toEqual([
      'gitlab:index/groupAccessToken:GroupAccessToken.rotationConfiguration: required input rotateBeforeDays is missing',
    ]);
    expect(checkInputs(extract, 'gitlab:index/nothing:Nothing', {})).toEqual([
      'gitlab:index/nothing:Nothing is not a resource of the provider schema',
    ]);
  });
});
