/**
 * The whole dev-stack program (stacks/index.ts) under Pulumi's mocks, run once for this file
 * (Pulumi's runtime is global: one program run per test file): what only the program shows, once
 * its components are wired together. The platform: one Kubernetes provider, chart versions, the
 * order of what is applied, protection, secrets. The GitLab side and the portal: inputs the
 * provider accepts, the graph (parents' ids, dependsOn), protection, secrets kept secret, and
 * names that reach the resources they name. What each resource is given is unit-tested on the
 * pure layer (infra/gitlab/gitlab-spec.test.ts, infra/backstage-spec.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../charts/platform';
import { RESTRICTED_NAMESPACE_LABELS } from '../infra/addon';
import { BACKSTAGE_CONFIG_DIR, gitlabSignIn } from '../infra/backstage-config';
import { kasAddress } from '../infra/gitlab-agent';
import { ADMIN_TOKEN, CANARY, useDevStack } from '../testing/dev-stack';
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

describe('the platform stack under mocks', () => {
  it('uses one explicit Kubernetes provider for every Kubernetes resource', () => {
    expect(byType('pulumi:providers:kubernetes').map((e) => e.name)).toEqual(['kubernetes']);
    const k8s = stack.result.entries.filter((e) => e.type.startsWith('kubernetes:'));
    expect(k8s.length).toBeGreaterThan(10);
    for (const e of k8s) {
      expect(e.provider, `${e.type} ${e.name}`).toBe('pulumi:providers:kubernetes::kubernetes');
    }
  });

  it('installs Crossplane and Kro at the configured chart versions', () => {
    const crossplane = inputs(one('kubernetes:helm.sh/v3:Release', 'crossplane-chart'));
    expect(crossplane).toMatchObject({
      chart: 'crossplane',
      version: versions.crossplane.chart,
      repositoryOpts: { repo: 'https://charts.crossplane.io/stable' },
      namespace: 'crossplane-system',
      atomic: true,
    });
    expect(crossplane.values.securityContextCrossplane).toMatchObject({
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    const kro = inputs(one('kubernetes:helm.sh/v3:Release', 'kro-chart'));
    expect(kro).toMatchObject({
      chart: 'oci://registry.k8s.io/kro/charts/kro',
      version: versions.kro.chart,
      namespace: 'kro-system',
      values: { rbac: { mode: 'aggregation' } },
    });
    expect(kro.values.config).toBeUndefined(); // no feature gates: none is needed
  });

  it('runs the add-ons in namespaces that enforce the restricted profile', () => {
    for (const ns of byType('kubernetes:core/v1:Namespace')) {
      expect(inputs(ns).metadata.labels).toMatchObject(RESTRICTED_NAMESPACE_LABELS);
    }
    expect(
      byType('kubernetes:core/v1:Namespace')
        .map((e) => inputs(e).metadata.name)
        .sort(),
    ).toEqual(['backstage', 'cnpg-system', 'crossplane-system', 'gitlab-agent', 'kro-system']);
  });

  it('applies every object of the platform charts, after the controller whose CRDs it uses', () => {
    const charts = buildPlatformCharts(new App());
    const applied = stack.result.entries.filter(
      (e) => e.parent === 'platform:apis:PlatformApis::platform-apis',
    );
    const expected = [charts.functions, charts.teamNamespace, charts.database].flatMap((c) =>
      c.toJson(),
    );
    expect(applied.map((e) => inputs(e)).sort(byIdentity)).toEqual(
      JSON.parse(JSON.stringify(expected)).sort(byIdentity),
    );
    for (const e of applied) {
      const kind = inputs(e).kind as string;
      const controller =
        kind === 'ResourceGraphDefinition' || e.name.includes('-database-')
          ? 'kro-chart'
          : 'crossplane-chart';
      expect(e.dependsOn, e.name).toContain(`kubernetes:helm.sh/v3:Release::${controller}`);
    }
    const composition = applied.find((e) => inputs(e).kind === 'Composition')!;
    expect(
      composition.dependsOn!.filter((d) =>
        d.startsWith('kubernetes:pkg.crossplane.io/v1:Function::'),
      ),
    ).toHaveLength(2);
  });

  it('generates the database password seed, keeps it secret, protected and retained', () => {
    const seed = one('random:index/randomBytes:RandomBytes', 'kro-password-seed');
    expect(seed.protect).toBe(true);
    expect(inputs(seed)).toEqual({ length: 48 });
    const secret = one('kubernetes:core/v1:Secret', 'kro-password-seed');
    expect(secret).toMatchObject({ protect: true, retainOnDelete: true });
    expect(inputs(secret).stringData).toBe(SECRET_MARKER);
    expect(inputs(secret).data).toBeUndefined();
    expect(inputs(secret).metadata).toMatchObject({
      name: 'postgres-password-seed',
      namespace: 'kro-system',
    });
    expect(secret.dependsOn).toContain('random:index/randomBytes:RandomBytes::kro-password-seed');
  });

  it('never shows a secret value in the plan', () => {
    expect(stack.plan).not.toContain(CANARY);
    expect(stack.plan).not.toContain(Buffer.from(CANARY, 'base64').toString('utf8'));
    expect(stack.plan).toContain(SECRET_MARKER);
  });

  it('exports the portal URL and the installed versions', () => {
    expect(stack.result.exports).toEqual({
      backstageUrl: 'https://backstage.idp.dev.example.com',
      databaseHost: 'portal-db-rw.backstage.svc',
      claimsRepository: UNKNOWN_MARKER,
      gitlabRedirectUrl: 'https://backstage.idp.dev.example.com/api/auth/gitlab/handler/frame',
      gitlabGroups: {
        platform: UNKNOWN_MARKER,
        platformTeam: UNKNOWN_MARKER,
        customers: UNKNOWN_MARKER,
        customerGroups: { 'team-a': UNKNOWN_MARKER },
      },
      installedVersions: {
        crossplane: versions.crossplane.chart,
        kro: versions.kro.chart,
        cloudnativePg: versions.cloudnativePg.chart,
        backstage: versions.backstage.chart,
        gitlabAgent: versions.gitlabAgent.chart,
        crossplaneFunctions: { patchAndTransform: 'v0.10.8', autoReady: 'v0.7.0' },
      },
    });
  });

  it('parents every child to its component', () => {
    const entries = stack.result.entries;
    const components = entries.filter((e) => e.type.startsWith('platform:'));
    // The portal namespace belongs to the stack: the portal and its database share it.
    const stackLevel = (e: PlanEntry): boolean =>
      e.type.startsWith('platform:') ||
      e.type === 'pulumi:providers:kubernetes' ||
      e.name === 'portal-namespace';
    for (const e of entries.filter(stackLevel)) {
      expect(e.parent, e.name).toBeUndefined();
    }
    // A component names its children `<component>-...` (infra/*.ts): the one whose name is the
    // longest such prefix is the child's (gitlab-agent-token is gitlab-agent's, not gitlab's).
    const children = entries.filter((e) => !stackLevel(e));
    expect(children.length).toBeGreaterThan(components.length);
    for (const e of children) {
      const owner = components
        .filter((c) => e.name.startsWith(`${c.name}-`))
        .sort((a, b) => b.name.length - a.name.length)[0];
      expect(owner, `${e.type} ${e.name} is named after no component`).toBeDefined();
      expect(e.parent, e.name).toBe(`${owner.type}::${owner.name}`);
    }
    // Every component has children, and every parent is a component that was registered.
    expect(new Set(children.map((e) => e.parent))).toEqual(
      new Set(components.map((c) => `${c.type}::${c.name}`)),
    );
  });

  it('runs the portal database on CloudNativePG, protected, with a generated password', () => {
    const cluster = one('kubernetes:postgresql.cnpg.io/v1:Cluster', 'portal-database-cluster');
    expect(cluster).toMatchObject({ protect: true, retainOnDelete: true });
    expect(cluster.dependsOn).toContain('kubernetes:helm.sh/v3:Release::cloudnative-pg-chart');
    expect(validateObject(inputs(cluster))).toEqual([]);
    expect(inputs(cluster).spec).toMatchObject({
      instances: 1,
      imageName: versions.cloudnativePg.postgresImage,
      enableSuperuserAccess: false,
      storage: { size: '5Gi' },
      bootstrap: {
        initdb: {
          database: 'backstage',
          owner: 'backstage',
          secret: { name: 'portal-db-credentials' },
        },
      },
    });
    expect(inputs(cluster).spec.backup).toBeUndefined();
    const secret = one('kubernetes:core/v1:Secret', 'portal-database-credentials');
    expect(secret).toMatchObject({ protect: true, retainOnDelete: true });
    expect(inputs(secret)).toMatchObject({
      type: 'kubernetes.io/basic-auth',
      stringData: SECRET_MARKER,
    });
    const password = one('random:index/randomPassword:RandomPassword', 'portal-database-password');
    expect(password.protect).toBe(true);
    expect(inputs(password)).toMatchObject({ length: 40, special: false });
    const operator = inputs(one('kubernetes:helm.sh/v3:Release', 'cloudnative-pg-chart'));
    expect(operator).toMatchObject({
      chart: 'cloudnative-pg',
      version: versions.cloudnativePg.chart,
      namespace: 'cnpg-system',
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

function byIdentity(a: any, b: any): number {
  return `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);
}

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
