import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../charts/platform';
import { RESTRICTED_NAMESPACE_LABELS } from '../infra/addon';
import { versions } from '../versions';
import { kasAddress } from '../infra/gitlab-agent';
import { CANARY, useDevStack } from '../testing/dev-stack';
import { validateObject } from '../testing/schemas';
import { SECRET_MARKER, UNKNOWN_MARKER, type PlanEntry } from '../testing/pulumi-mocks';

const stack = useDevStack();
const inputs = (e: PlanEntry): any => e.inputs;
const { byType, one } = stack;

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
