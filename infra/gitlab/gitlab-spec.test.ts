/**
 * What the GitLab side declares for the dev stack, computed by the pure layer (gitlab-spec.ts)
 * without running the program. That GitlabPlatform declares exactly these, protected, in this
 * order, with secrets kept secret and inputs the provider accepts, is tested on the whole program
 * in stacks/index.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { devGitlab, PORTAL_NAMESPACE, portalSpec } from '../../testing/dev-args';
import { gitlabSignIn, readConfigLayer, signInScopes } from '../backstage-config';
import {
  apiBaseUrl,
  CLAIMS_AGENT_SPEC,
  claimsProject,
  claimsRepositoryFiles,
  claimsVariables,
  groupTree,
} from './gitlab-spec';
import {
  catalogWebhook,
  OAUTH_SECRET,
  oauthApplication,
  portalSecret,
  READ_TOKEN_SECRET,
  SCAFFOLDER_TOKEN_SECRET,
  TOKENS,
  WEBHOOK_SECRET,
} from './portal-access';

const gitlab = devGitlab();
const tree = groupTree(gitlab.groups, gitlab.customerGroups);

describe('the GitLab side', () => {
  it("sends the platform group's push and merge-request events to the portal's events backend", () => {
    expect(catalogWebhook(gitlab)).toEqual({
      name: 'Platform portal catalog',
      description: 'Refreshes the catalog of backstage.idp.dev.example.com on push',
      // The events backend's HTTP ingress for the topic `gitlab` (the GitLab events module).
      url: 'https://backstage.idp.dev.example.com/api/events/http/gitlab',
      pushEvents: true,
      mergeRequestsEvents: true,
      tagPushEvents: false,
      enableSslVerification: true,
    });
    // The portal reads the token from this Secret, as the production layer's webhookSecret.
    expect(WEBHOOK_SECRET).toEqual({ name: 'portal-gitlab-webhook', key: 'GITLAB_WEBHOOK_SECRET' });
    const production = readConfigLayer('app-config.production.yaml') as any;
    expect(production.events.modules.gitlab.webhookSecret).toBe('${GITLAB_WEBHOOK_SECRET}');
  });

  it('talks to the configured instance', () => {
    expect(apiBaseUrl(gitlab.gitlabUrl)).toBe('https://gitlab.example.com/api/v4/');
  });

  it('registers the OAuth application at the callback URL the portal uses, with exactly its scopes', () => {
    const baseUrl = (portalSpec().env.data as Record<string, string>).BACKSTAGE_BASE_URL;
    const callbackUrl = (gitlabSignIn().callbackUrl as string).replace(
      '${BACKSTAGE_BASE_URL}',
      baseUrl,
    );
    expect(oauthApplication(gitlab)).toMatchObject({
      name: 'Platform portal (backstage.idp.dev.example.com)',
      redirectUrl: callbackUrl,
      confidential: true,
      // Sign-in's own scope, and `api` for the user's token the new-service template requests.
      scopes: ['api', 'read_user'],
    });
    expect(signInScopes()).toEqual(['read_user']);
    expect(gitlabSignIn().audience).toBe('${GITLAB_URL}');
    expect(JSON.stringify(gitlabSignIn())).not.toMatch(/dangerously/);
  });

  it('builds the private group tree from the configuration', () => {
    const groups = [
      tree.platform,
      tree.platformTeam,
      tree.customers,
      ...tree.customerGroups.map((g) => g.args),
    ];
    expect(groups).toHaveLength(4);
    for (const g of groups) {
      expect(g.visibilityLevel, g.path as string).toBe('private');
      expect(g.requestAccessEnabled, g.path as string).toBe(false);
    }
    expect(tree.platform.path).toBe('acme-platform');
    expect(tree.platform.parentId).toBeUndefined();
    expect(tree.platformTeam).toMatchObject({ path: 'platform-team', name: 'Platform Team' });
    expect(tree.customers).toMatchObject({ path: 'customers', name: 'Customers' });
    const [teamA] = tree.customerGroups;
    expect(teamA).toMatchObject({
      id: 'customer-team-a',
      path: 'team-a',
      args: { path: 'team-a', name: 'Team A' },
    });
    expect(teamA.members).toEqual([
      { id: 'customer-team-a-member-1001', args: { userId: 1001, accessLevel: 'maintainer' } },
    ]);
  });

  it('creates the claims repository: merge requests only, merged after a green pipeline, never deleted', () => {
    expect(claimsProject(gitlab.claimsProject)).toMatchObject({
      path: 'claims',
      visibilityLevel: 'private',
      defaultBranch: 'main',
      onlyAllowMergeIfPipelineSucceeds: true,
      allowMergeOnSkippedPipeline: false,
      onlyAllowMergeIfAllDiscussionsAreResolved: true,
      archiveOnDestroy: true,
    });
    // Its default branch is protected by the platform group's defaults: nobody pushes to it.
    expect(tree.platform.defaultBranchProtectionDefaults).toEqual({
      allowedToPushes: ['maintainer'],
      allowedToMerges: ['maintainer'],
      allowForcePush: false,
      developerCanInitialPush: false,
    });
  });

  it('gives the portal a read-only, rotating group token, as a Secret', () => {
    expect(TOKENS.portalRead).toMatchObject({
      scopes: ['read_api', 'read_repository'],
      accessLevel: 'reporter',
      rotationConfiguration: { expirationDays: 90, rotateBeforeDays: 14 },
    });
    expect(READ_TOKEN_SECRET.name).toBe('portal-gitlab-token');
  });

  it('gives the scaffolder a rotating token that can open merge requests on the claims project only', () => {
    expect(TOKENS.portalScaffolder).toMatchObject({
      scopes: ['api'],
      accessLevel: 'developer',
      rotationConfiguration: { expirationDays: 90, rotateBeforeDays: 14 },
    });
    expect(
      portalSecret(SCAFFOLDER_TOKEN_SECRET.name, PORTAL_NAMESPACE, {
        [SCAFFOLDER_TOKEN_SECRET.key]: 'token',
      }),
    ).toEqual({
      metadata: {
        name: 'portal-gitlab-scaffolder-token',
        namespace: 'backstage',
        labels: { 'app.kubernetes.io/part-of': 'platform' },
      },
      type: 'Opaque',
      stringData: { GITLAB_SCAFFOLDER_TOKEN: 'token' },
    });
    // Templates reach it through the scaffolder's default environment, never through a file.
    const production = readConfigLayer('app-config.production.yaml') as any;
    expect(production.scaffolder.defaultEnvironment.secrets).toEqual({
      GITLAB_SCAFFOLDER_TOKEN: '${GITLAB_SCAFFOLDER_TOKEN}',
    });
  });

  it('lets only default-branch pipelines of the claims project create customer groups', () => {
    expect(TOKENS.claimsGroups).toMatchObject({ scopes: ['api'], accessLevel: 'owner' });
    const variables = claimsVariables({
      token: 'groups-token',
      parentId: '42',
      parentPath: gitlab.groups.customers,
    }).map((v) => v.args);
    expect(variables.map((v) => v.key).sort()).toEqual([
      'CUSTOMERS_GROUP_ID',
      'CUSTOMERS_GROUP_PATH',
      'CUSTOMER_GROUPS_TOKEN',
    ]);
    for (const v of variables) {
      expect(v.protected, v.key as string).toBe(true);
    }
    expect(variables.find((v) => v.key === 'CUSTOMER_GROUPS_TOKEN')).toMatchObject({
      value: 'groups-token',
      masked: true,
    });
    expect(variables.find((v) => v.key === 'CUSTOMERS_GROUP_PATH')).toMatchObject({
      value: 'acme-platform/customers',
      masked: false,
    });
  });

  it('commits the generated pipeline, README and agent configuration to the claims project', () => {
    const files = claimsRepositoryFiles(gitlab);
    expect(files.map((f) => f.args.filePath)).toEqual([
      '.gitlab-ci.yml',
      '.gitlab/agents/platform-claims/config.yaml',
      'README.md',
    ]);
    for (const { args: f } of files) {
      expect(f).toMatchObject({ branch: 'main', encoding: 'text', overwriteOnCreate: true });
      if (!(f.filePath as string).startsWith('.gitlab/agents/')) {
        // What reviewers read in dist/ is what the project runs.
        expect(f.content, f.filePath as string).toBe(
          fs.readFileSync(path.join('dist', 'claims-repository', f.filePath as string), 'utf8'),
        );
      }
    }
    expect(files.map((f) => f.id)).toEqual([
      'claims-file-gitlab-ci-yml',
      'claims-file-gitlab-agents-platform-claims-config-yaml',
      'claims-file-README-md',
    ]);
    const agentFile = files.find((f) => (f.args.filePath as string).startsWith('.gitlab/agents/'));
    const agentConfig = parse(agentFile!.args.content as string);
    expect(agentConfig).toEqual({
      ci_access: { projects: [{ id: 'acme-platform/claims', access_as: { ci_job: {} } }] },
    });
  });

  it("registers the claims project's GitLab agent", () => {
    expect(CLAIMS_AGENT_SPEC.agent.name).toBe('platform-claims');
    expect(CLAIMS_AGENT_SPEC.token.name).toBe('platform-claims-in-cluster');
  });

  it('hands the OAuth client to the portal as a Secret', () => {
    expect(OAUTH_SECRET.name).toBe('portal-gitlab-oauth');
    expect(
      portalSecret(OAUTH_SECRET.name, PORTAL_NAMESPACE, {
        [OAUTH_SECRET.clientId]: 'id',
        [OAUTH_SECRET.clientSecret]: 'secret',
      }).metadata,
    ).toMatchObject({ name: 'portal-gitlab-oauth', namespace: 'backstage' });
  });
});
