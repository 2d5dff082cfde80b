import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitlabSignIn, readConfigLayer, signInScopes } from '../infra/backstage-config';
import { kasAddress } from '../infra/gitlab-agent';
import { versions } from '../versions';
import { ADMIN_TOKEN, CANARY, useDevStack } from '../testing/dev-stack';
import { checkInputs, providerSchema } from '../testing/pulumi-schema';
import { SECRET_MARKER, UNKNOWN_MARKER, type PlanEntry } from '../testing/pulumi-mocks';

const stack = useDevStack();
const inputs = (e: PlanEntry): any => e.inputs;
const { byType, one } = stack;
const schema = providerSchema();

describe('the GitLab side', () => {
  describe('GitLab', () => {
    const gitlab = (): PlanEntry[] =>
      stack.result.entries.filter(
        (e) => e.type.startsWith('gitlab:') || e.type === 'pulumi:providers:gitlab',
      );

    it('sends only inputs the official provider accepts, pinned to its version', () => {
      expect(gitlab().length).toBe(19);
      for (const e of gitlab()) {
        expect(
          checkInputs(schema, e.type, e.inputs, (v) => v === SECRET_MARKER || v === UNKNOWN_MARKER),
          e.name,
        ).toEqual([]);
        expect(e.version, e.name).toBe(versions.pulumiGitlab);
        if (e.type !== 'pulumi:providers:gitlab') {
          expect(e.provider, e.name).toBe('pulumi:providers:gitlab::gitlab-provider');
        }
      }
      expect(inputs(one('pulumi:providers:gitlab', 'gitlab-provider'))).toEqual({
        baseUrl: 'https://gitlab.example.com/api/v4/',
        token: SECRET_MARKER,
      });
    });

    it('registers the OAuth application at the callback URL the portal uses, with exactly its scopes', () => {
      const app = one('gitlab:index/application:Application', 'gitlab-oauth-application');
      expect(app.protect).toBe(true);
      const baseUrl = inputs(
        byType('kubernetes:core/v1:ConfigMap').find(
          (e) => inputs(e).metadata.name === 'portal-env',
        )!,
      ).data.BACKSTAGE_BASE_URL;
      const callbackUrl = (gitlabSignIn().callbackUrl as string).replace(
        '${BACKSTAGE_BASE_URL}',
        baseUrl,
      );
      expect(inputs(app)).toMatchObject({
        redirectUrl: callbackUrl,
        confidential: true,
        // Sign-in's own scope, and `api` for the user's token the new-service template requests.
        scopes: ['api', 'read_user'],
      });
      expect(signInScopes()).toEqual(['read_user']);
      expect(gitlabSignIn().audience).toBe('${GITLAB_URL}');
      expect(JSON.stringify(gitlabSignIn())).not.toMatch(/dangerously/);
    });

    it('builds the protected group tree from the configuration', () => {
      const groups = byType('gitlab:index/group:Group');
      for (const g of groups) {
        expect(g.protect, g.name).toBe(true);
        expect(inputs(g).visibilityLevel, g.name).toBe('private');
      }
      const root = inputs(one('gitlab:index/group:Group', 'gitlab-platform-group'));
      expect(root.path).toBe('acme-platform');
      expect(root.parentId).toBeUndefined();
      const customers = one('gitlab:index/group:Group', 'gitlab-customers-group');
      expect(inputs(customers)).toMatchObject({ path: 'customers', parentId: expect.any(Number) });
      const teamA = one('gitlab:index/group:Group', 'gitlab-customer-team-a');
      expect(teamA.dependsOn).toContain('gitlab:index/group:Group::gitlab-customers-group');
      expect(inputs(teamA)).toMatchObject({ path: 'team-a', name: 'Team A' });
      const member = inputs(
        one('gitlab:index/groupMembership:GroupMembership', 'gitlab-customer-team-a-member-1001'),
      );
      expect(member).toMatchObject({
        userId: 1001,
        accessLevel: 'maintainer',
        groupId: expect.any(Number),
      });
    });

    it('creates the claims repository: merge requests only, merged after a green pipeline, never deleted', () => {
      const project = one('gitlab:index/project:Project', 'gitlab-claims-project');
      expect(project.protect).toBe(true);
      expect(inputs(project)).toMatchObject({
        path: 'claims',
        namespaceId: inputs(one('gitlab:index/group:Group', 'gitlab-customers-group')).parentId,
        visibilityLevel: 'private',
        defaultBranch: 'main',
        onlyAllowMergeIfPipelineSucceeds: true,
        allowMergeOnSkippedPipeline: false,
        archiveOnDestroy: true,
      });
      // Its default branch is protected by the platform group's defaults: nobody pushes to it.
      expect(
        inputs(one('gitlab:index/group:Group', 'gitlab-platform-group'))
          .defaultBranchProtectionDefaults,
      ).toEqual({
        allowedToPushes: ['maintainer'],
        allowedToMerges: ['maintainer'],
        allowForcePush: false,
        developerCanInitialPush: false,
      });
    });

    it('gives the portal a read-only, rotating group token, as a Secret', () => {
      const token = one(
        'gitlab:index/groupAccessToken:GroupAccessToken',
        'gitlab-portal-read-token',
      );
      expect(inputs(token)).toMatchObject({
        scopes: ['read_api', 'read_repository'],
        accessLevel: 'reporter',
        rotationConfiguration: { expirationDays: 90, rotateBeforeDays: 14 },
      });
      expect(token.dependsOn).toContain('gitlab:index/group:Group::gitlab-platform-group');
      const secret = one('kubernetes:core/v1:Secret', 'gitlab-portal-read-token');
      expect(inputs(secret).stringData).toBe(SECRET_MARKER);
      expect(inputs(secret).metadata.name).toBe('portal-gitlab-token');
      const values = inputs(one('kubernetes:helm.sh/v3:Release', 'backstage-chart')).values
        .backstage;
      // A rotation changes this annotation, which restarts the portal with the new token.
      expect(Object.keys(values.podAnnotations)).toEqual([
        'platform.example.org/gitlab-tokens-created-at',
      ]);
    });

    it('gives the scaffolder a rotating token that can open merge requests on the claims project only', () => {
      const token = one(
        'gitlab:index/projectAccessToken:ProjectAccessToken',
        'gitlab-portal-scaffolder-token',
      );
      expect(inputs(token)).toMatchObject({
        scopes: ['api'],
        accessLevel: 'developer',
        rotationConfiguration: { expirationDays: 90, rotateBeforeDays: 14 },
      });
      // The claims project (by id), not a group: its bot is a member of that project alone.
      expect(token.dependsOn).toEqual(['gitlab:index/project:Project::gitlab-claims-project']);
      const secret = one('kubernetes:core/v1:Secret', 'gitlab-portal-scaffolder-token');
      expect(inputs(secret).stringData).toBe(SECRET_MARKER);
      expect(inputs(secret).metadata).toMatchObject({
        name: 'portal-gitlab-scaffolder-token',
        namespace: 'backstage',
      });
      // Templates reach it through the scaffolder's default environment, never through a file.
      const production = readConfigLayer('app-config.production.yaml') as any;
      expect(production.scaffolder.defaultEnvironment.secrets).toEqual({
        GITLAB_SCAFFOLDER_TOKEN: '${GITLAB_SCAFFOLDER_TOKEN}',
      });
    });

    it('lets only default-branch pipelines of the claims project create customer groups', () => {
      const token = one(
        'gitlab:index/groupAccessToken:GroupAccessToken',
        'gitlab-claims-groups-token',
      );
      expect(inputs(token)).toMatchObject({ scopes: ['api'], accessLevel: 'owner' });
      expect(token.dependsOn).toEqual(['gitlab:index/group:Group::gitlab-customers-group']);
      const variables = byType('gitlab:index/projectVariable:ProjectVariable').map(inputs);
      expect(variables.map((v) => v.key).sort()).toEqual([
        'CUSTOMERS_GROUP_ID',
        'CUSTOMERS_GROUP_PATH',
        'CUSTOMER_GROUPS_TOKEN',
      ]);
      for (const v of variables) {
        expect(v.protected, v.key).toBe(true);
      }
      const secret = variables.find((v) => v.key === 'CUSTOMER_GROUPS_TOKEN');
      expect(secret).toMatchObject({ value: SECRET_MARKER, masked: true });
    });

    it('commits the generated pipeline, README and agent configuration to the claims project', () => {
      const files = byType('gitlab:index/repositoryFile:RepositoryFile').map(inputs);
      expect(files.map((f) => f.filePath).sort()).toEqual([
        '.gitlab-ci.yml',
        '.gitlab/agents/platform-claims/config.yaml',
        'README.md',
      ]);
      for (const f of files) {
        expect(f).toMatchObject({ branch: 'main', encoding: 'text', overwriteOnCreate: true });
        if (!f.filePath.startsWith('.gitlab/agents/')) {
          // What reviewers read in dist/ is what the project runs.
          expect(f.content, f.filePath).toBe(
            fs.readFileSync(path.join('dist', 'claims-repository', f.filePath), 'utf8'),
          );
        }
      }
      const agentConfig = parse(
        files.find((f) => f.filePath.startsWith('.gitlab/agents/'))!.content,
      );
      expect(agentConfig).toEqual({
        ci_access: { projects: [{ id: 'acme-platform/claims', access_as: { ci_job: {} } }] },
      });
    });

    it("registers the claims project's GitLab agent and keeps its token secret", () => {
      const agent = one('gitlab:index/clusterAgent:ClusterAgent', 'gitlab-claims-agent');
      expect(inputs(agent).name).toBe('platform-claims');
      // The agent reads its configuration when registered: the file is committed first.
      expect(agent.dependsOn).toEqual(
        expect.arrayContaining([
          'gitlab:index/repositoryFile:RepositoryFile::gitlab-claims-file-gitlab-agents-platform-claims-config-yaml',
        ]),
      );
      const token = one(
        'gitlab:index/clusterAgentToken:ClusterAgentToken',
        'gitlab-claims-agent-token',
      );
      // The agent's id, which GitLab assigns: unknown until it exists.
      expect(inputs(token).agentId).toBe(UNKNOWN_MARKER);
      expect(token.dependsOn).toContain(
        'gitlab:index/clusterAgent:ClusterAgent::gitlab-claims-agent',
      );
    });

    it('hands the OAuth client to the portal as a Secret, and keeps the admin token out of the cluster', () => {
      const secret = one('kubernetes:core/v1:Secret', 'gitlab-oauth-client');
      expect(inputs(secret).stringData).toBe(SECRET_MARKER);
      expect(inputs(secret).metadata).toMatchObject({
        name: 'portal-gitlab-oauth',
        namespace: 'backstage',
      });
      expect(stack.plan).not.toContain(ADMIN_TOKEN);
      const kubernetes = stack.result.entries.filter((e) => e.type.startsWith('kubernetes:'));
      expect(JSON.stringify(kubernetes)).not.toContain(ADMIN_TOKEN);
    });
  });

  describe('the claims delivery path (GitLab agent for Kubernetes)', () => {
    const release = (): any => inputs(one('kubernetes:helm.sh/v3:Release', 'gitlab-agent-chart'));

    it('installs the agent chart, pinned, connected to the instance with its token from a Secret', () => {
      expect(release()).toMatchObject({
        chart: 'gitlab-agent',
        repositoryOpts: { repo: 'https://charts.gitlab.io' },
        version: versions.gitlabAgent.chart,
        namespace: 'gitlab-agent',
      });
      expect(release().values.config).toEqual({
        kasAddress: 'wss://gitlab.example.com/-/kubernetes-agent/',
        secretName: 'gitlab-agent-token',
      });
      expect(kasAddress('https://gitlab.com')).toBe('wss://kas.gitlab.com');
      const token = one('kubernetes:core/v1:Secret', 'gitlab-agent-token');
      // The mocks give the agent token the canary value (testing/dev-stack.ts): it may reach the
      // Secret, and so the plan, only as a secret.
      expect(inputs(token).stringData).toBe(SECRET_MARKER);
      expect(stack.plan).not.toContain(CANARY);
    });

    it('gives the agent no cluster-admin: it may only impersonate', () => {
      expect(release().values.rbac).toEqual({ create: false });
      const role = inputs(
        one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRole', 'gitlab-agent-impersonator'),
      );
      expect(role.rules.flatMap((r: any) => r.verbs)).toEqual(['impersonate', 'impersonate']);
      const binding = inputs(
        one(
          'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding',
          'gitlab-agent-impersonator',
        ),
      );
      expect(binding.subjects).toEqual([
        {
          kind: 'ServiceAccount',
          name: release().values.serviceAccount.name,
          namespace: 'gitlab-agent',
        },
      ]);
    });

    it('lets the claims pipeline create and update claim kinds, and nothing else', () => {
      const role = inputs(
        one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRole', 'gitlab-agent-claims-applier'),
      );
      expect(role.rules).toEqual([
        {
          apiGroups: ['platform.example.org'],
          resources: ['postgresdatabases', 'teamnamespaces'],
          verbs: ['get', 'create', 'patch'],
        },
      ]);
      const binding = inputs(
        one(
          'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding',
          'gitlab-agent-claims-applier',
        ),
      );
      // The group the agent gives the claims project's CI jobs (`access_as: ci_job`).
      expect(binding.subjects).toEqual([
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: expect.stringMatching(/^gitlab:project:[0-9]+$/),
        },
      ]);
    });

    it('runs the agent under the restricted profile with requests and limits', () => {
      const values = release().values;
      // agentk as distroless `nonroot`, by number: the kubelet verifies runAsNonRoot only then.
      expect(values.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(values.podSecurityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(Object.keys(values.resources).sort()).toEqual(['limits', 'requests']);
    });
  });
});
