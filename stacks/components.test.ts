/**
 * The GitLab side and the portal in the whole dev-stack program under mocks: what only the
 * program shows, once its components are wired together. Inputs the provider accepts, the graph
 * (parents' ids, dependsOn), protection, secrets kept secret, and names that reach the resources
 * they name. What each resource is given is unit-tested on the pure layer
 * (infra/gitlab/gitlab-spec.test.ts, infra/backstage-spec.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitlabSignIn } from '../infra/backstage-config';
import { BACKSTAGE_CONFIG_DIR } from '../infra/backstage-config';
import { ADMIN_TOKEN, useDevStack } from '../testing/dev-stack';
import { SECRET_MARKER, UNKNOWN_MARKER, type PlanEntry } from '../testing/pulumi-mocks';
import { checkInputs, providerSchema } from '../testing/pulumi-schema';
import { validateBackstageValues, validateObject } from '../testing/schemas';
import { versions } from '../versions';

const stack = useDevStack();
const inputs = (e: PlanEntry): any => e.inputs;
const { byType, one } = stack;
const schema = providerSchema();
const configMap = (name: string): PlanEntry =>
  byType('kubernetes:core/v1:ConfigMap').find((e) => inputs(e).metadata.name === name)!;

describe('the GitLab side, in the program', () => {
  it('sends only inputs the official provider accepts, pinned to its version', () => {
    const gitlab = stack.result.entries.filter(
      (e) => e.type.startsWith('gitlab:') || e.type === 'pulumi:providers:gitlab',
    );
    expect(gitlab.length).toBe(20);
    for (const e of gitlab) {
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

  it('protects the OAuth application, at the callback URL the portal is given', () => {
    const app = one('gitlab:index/application:Application', 'gitlab-oauth-application');
    expect(app.protect).toBe(true);
    const baseUrl = inputs(configMap('portal-env')).data.BACKSTAGE_BASE_URL;
    expect(inputs(app)).toMatchObject({
      redirectUrl: (gitlabSignIn().callbackUrl as string).replace('${BACKSTAGE_BASE_URL}', baseUrl),
      confidential: true,
      scopes: ['api', 'read_user'],
    });
  });

  it('builds the protected group tree, each group under its parent', () => {
    const groups = byType('gitlab:index/group:Group');
    expect(groups).toHaveLength(4);
    for (const g of groups) {
      expect(g.protect, g.name).toBe(true);
      expect(inputs(g).visibilityLevel, g.name).toBe('private');
    }
    const root = inputs(one('gitlab:index/group:Group', 'gitlab-platform-group'));
    expect(root.path).toBe('acme-platform');
    expect(root.parentId).toBeUndefined();
    for (const sub of ['gitlab-platform-team-group', 'gitlab-customers-group']) {
      const group = one('gitlab:index/group:Group', sub);
      expect(inputs(group).parentId, sub).toEqual(expect.any(Number));
      expect(group.dependsOn, sub).toContain('gitlab:index/group:Group::gitlab-platform-group');
    }
    const teamA = one('gitlab:index/group:Group', 'gitlab-customer-team-a');
    expect(teamA.dependsOn).toContain('gitlab:index/group:Group::gitlab-customers-group');
    expect(inputs(teamA)).toMatchObject({
      path: 'team-a',
      name: 'Team A',
      parentId: expect.any(Number),
    });
    const member = one(
      'gitlab:index/groupMembership:GroupMembership',
      'gitlab-customer-team-a-member-1001',
    );
    expect(inputs(member)).toMatchObject({
      userId: 1001,
      accessLevel: 'maintainer',
      groupId: expect.any(Number),
    });
    expect(member.dependsOn).toContain('gitlab:index/group:Group::gitlab-customer-team-a');
  });

  it("registers the catalog's webhook on the platform group, its token generated and secret", () => {
    const hook = one('gitlab:index/groupHook:GroupHook', 'gitlab-catalog-webhook');
    expect(inputs(hook)).toMatchObject({
      group: expect.stringMatching(/^[0-9]+$/),
      url: 'https://backstage.idp.dev.example.com/api/events/http/gitlab',
      token: SECRET_MARKER,
    });
    expect(hook.dependsOn).toContain(
      'random:index/randomPassword:RandomPassword::gitlab-webhook-token',
    );
    expect(hook.dependsOn).toContain('gitlab:index/group:Group::gitlab-platform-group');
    const secret = one('kubernetes:core/v1:Secret', 'gitlab-portal-webhook');
    expect(inputs(secret).metadata.name).toBe('portal-gitlab-webhook');
    expect(inputs(secret).stringData).toBe(SECRET_MARKER);
  });

  it('creates the claims repository, protected, in the platform group', () => {
    const project = one('gitlab:index/project:Project', 'gitlab-claims-project');
    expect(project.protect).toBe(true);
    expect(inputs(project)).toMatchObject({
      path: 'claims',
      namespaceId: inputs(one('gitlab:index/group:Group', 'gitlab-customers-group')).parentId,
      archiveOnDestroy: true,
    });
    expect(project.dependsOn).toEqual(['gitlab:index/group:Group::gitlab-platform-group']);
  });

  it("gives each token to what it belongs to, and the portal's to the portal as Secrets", () => {
    const read = one('gitlab:index/groupAccessToken:GroupAccessToken', 'gitlab-portal-read-token');
    expect(read.dependsOn).toEqual(['gitlab:index/group:Group::gitlab-platform-group']);
    // The claims project (by id), not a group: its bot is a member of that project alone.
    const scaffolder = one(
      'gitlab:index/projectAccessToken:ProjectAccessToken',
      'gitlab-portal-scaffolder-token',
    );
    expect(scaffolder.dependsOn).toEqual(['gitlab:index/project:Project::gitlab-claims-project']);
    const groups = one(
      'gitlab:index/groupAccessToken:GroupAccessToken',
      'gitlab-claims-groups-token',
    );
    expect(groups.dependsOn).toEqual(['gitlab:index/group:Group::gitlab-customers-group']);
    for (const [id, name, token] of [
      ['gitlab-portal-read-token', 'portal-gitlab-token', read],
      ['gitlab-portal-scaffolder-token', 'portal-gitlab-scaffolder-token', scaffolder],
      ['gitlab-oauth-client', 'portal-gitlab-oauth', undefined],
    ] as const) {
      const secret = one('kubernetes:core/v1:Secret', id);
      expect(inputs(secret).stringData, id).toBe(SECRET_MARKER);
      expect(inputs(secret).metadata, id).toMatchObject({ name, namespace: 'backstage' });
      expect(secret.provider, id).toBe('pulumi:providers:kubernetes::kubernetes');
      if (token !== undefined) {
        expect(secret.dependsOn, id).toContain(`${token.type}::${token.name}`);
      }
    }
    const variables = byType('gitlab:index/projectVariable:ProjectVariable');
    expect(variables).toHaveLength(3);
    for (const v of variables) {
      expect(inputs(v).protected, v.name).toBe(true);
      expect(v.dependsOn, v.name).toContain('gitlab:index/project:Project::gitlab-claims-project');
    }
    expect(variables.map(inputs).find((v) => v.key === 'CUSTOMER_GROUPS_TOKEN')).toMatchObject({
      value: SECRET_MARKER,
      masked: true,
    });
  });

  it('commits the generated files before it registers the agent, whose token stays secret', () => {
    const files = byType('gitlab:index/repositoryFile:RepositoryFile');
    expect(files.map((f) => inputs(f).filePath).sort()).toEqual([
      '.gitlab-ci.yml',
      '.gitlab/agents/platform-claims/config.yaml',
      'README.md',
    ]);
    for (const f of files) {
      if (inputs(f).filePath !== '.gitlab/agents/platform-claims/config.yaml') {
        // What reviewers read in dist/ is what the project runs.
        expect(inputs(f).content, f.name).toBe(
          fs.readFileSync(path.join('dist', 'claims-repository', inputs(f).filePath), 'utf8'),
        );
      }
    }
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

  it('keeps the admin token out of the plan and the cluster', () => {
    expect(stack.plan).not.toContain(ADMIN_TOKEN);
    const kubernetes = stack.result.entries.filter((e) => e.type.startsWith('kubernetes:'));
    expect(JSON.stringify(kubernetes)).not.toContain(ADMIN_TOKEN);
  });
});

describe('the portal, in the program', () => {
  const release = (): PlanEntry => one('kubernetes:helm.sh/v3:Release', 'backstage-chart');

  it('installs the pinned chart with values the chart accepts', () => {
    const r = inputs(release());
    expect(r).toMatchObject({
      chart: 'backstage',
      version: versions.backstage.chart,
      namespace: 'backstage',
    });
    expect(validateBackstageValues(r.values)).toEqual([]);
    expect(
      validateBackstageValues({ ...r.values, backstage: { ...r.values.backstage, imagee: {} } }),
    ).not.toEqual([]);
  });

  it('names in its values the resources it declares, and installs after them', () => {
    const r = release();
    const b = inputs(r).values.backstage;
    const layers = b.extraAppConfig;
    expect(layers.map((l: any) => l.filename)).toEqual([
      'app-config.yaml',
      'app-config.production.yaml',
      'app-config.stack.yaml',
    ]);
    for (const { filename, configMapRef } of layers) {
      expect(Object.keys(inputs(configMap(configMapRef)).data), filename).toEqual([filename]);
    }
    for (const { filename, configMapRef } of layers.slice(0, 2)) {
      expect(inputs(configMap(configMapRef)).data[filename]).toBe(
        fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, filename), 'utf8'),
      );
    }
    expect(inputs(configMap(b.extraEnvVarsCM[0])).data.POSTGRES_HOST).toBe(
      'portal-db-rw.backstage.svc',
    );
    const secretRefs = b.extraEnvVars.map((e: any) => e.valueFrom.secretKeyRef.name);
    expect(new Set(secretRefs)).toEqual(
      new Set([
        'portal-db-credentials',
        'portal-gitlab-oauth',
        'portal-gitlab-token',
        'portal-external-access',
        'portal-gitlab-scaffolder-token',
        'portal-gitlab-webhook',
      ]),
    );
    expect(inputs(one('kubernetes:core/v1:Secret', 'backstage-external-access')).stringData).toBe(
      SECRET_MARKER,
    );
    expect(b.extraVolumes).toContainEqual({
      name: 'techdocs',
      persistentVolumeClaim: {
        claimName: inputs(one('kubernetes:core/v1:PersistentVolumeClaim', 'backstage-techdocs'))
          .metadata.name,
      },
    });
    expect(r.dependsOn).toEqual(
      expect.arrayContaining([
        'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-base',
        'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-production',
        'kubernetes:core/v1:ConfigMap::backstage-portal-app-config-stack',
        'kubernetes:core/v1:ConfigMap::backstage-env',
        'kubernetes:core/v1:Secret::backstage-external-access',
        'kubernetes:core/v1:PersistentVolumeClaim::backstage-techdocs',
        // After the database (Pulumi expands a component into its children) and the Secrets
        // of its GitLab credentials, not after the rest of the GitLab side.
        'kubernetes:postgresql.cnpg.io/v1:Cluster::portal-database-cluster',
        'kubernetes:core/v1:Secret::gitlab-oauth-client',
        'kubernetes:core/v1:Secret::gitlab-portal-read-token',
        'kubernetes:core/v1:Secret::gitlab-portal-scaffolder-token',
        'kubernetes:core/v1:Secret::gitlab-portal-webhook',
      ]),
    );
    expect(
      r.dependsOn!.filter((d) => /^gitlab:index\/(group|project|application):/.test(d)),
    ).toEqual([]);
    // A rotation changes this annotation, which restarts the portal with the new token.
    expect(b.podAnnotations['platform.example.org/gitlab-tokens-created-at']).toBe(
      `${UNKNOWN_MARKER} ${UNKNOWN_MARKER}`,
    );
  });

  it('binds its reader role to its ServiceAccount and guards it with a valid NetworkPolicy', () => {
    const binding = one(
      'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding',
      'backstage-kubernetes-reader',
    );
    expect(binding.dependsOn).toContain(
      'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::backstage-kubernetes-reader',
    );
    expect(inputs(binding).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'backstage', namespace: 'backstage' },
    ]);
    const policy = inputs(
      one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'backstage-network-policy'),
    );
    expect(validateObject(policy)).toEqual([]);
  });
});
