import * as path from 'node:path';
import { App } from 'cdk8s';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../charts/platform';
import { RESTRICTED_NAMESPACE_LABELS } from '../infra/addon';
import { versions } from '../infra/versions';
import * as fs from 'node:fs';
import { parse } from 'yaml';
import { validateBackstageValues, validateObject } from '../testing/schemas';
import { checkInputs, providerSchema } from '../testing/pulumi-schema';
import { gitlabSignIn, signInScopes } from '../infra/backstage-config';
import {
  planConfig,
  renderPlan,
  runUnderMocks,
  SECRET_MARKER,
  UNKNOWN_MARKER,
  type PlanEntry,
  type RunResult,
} from './plan';

// A value no output may ever show: the mocks give it to every generated secret.
const CANARY = 'Q0FOQVJZLXNlY3JldC12YWx1ZS1uZXZlci1zaG93bg==';
const ADMIN_TOKEN = 'glpat-CANARY-admin-token-never-shown';

let result: RunResult;
let plan: string;
const root = path.resolve(__dirname, '..');
const extract = providerSchema('pulumi-gitlab.schema.extract.json');

beforeAll(async () => {
  result = await runUnderMocks({
    stack: 'dev',
    config: {
      ...planConfig(path.join(root, 'Pulumi.dev.yaml')),
      'platform:gitlabAdminToken': ADMIN_TOKEN,
    },
    mockOutputs: (type) =>
      type === 'random:index/randomBytes:RandomBytes' ? { base64: CANARY, hex: 'ca11ab1e' } : {},
    load: () => import('./index'),
  });
  plan = renderPlan('dev', result);
});

const byType = (type: string): PlanEntry[] => result.entries.filter((e) => e.type === type);
const one = (type: string, name: string): PlanEntry => {
  const found = result.entries.find((e) => e.type === type && e.name === name);
  if (found === undefined) throw new Error(`no ${type} ${name}`);
  return found;
};
const inputs = (e: PlanEntry): any => e.inputs;

describe('the platform stack under mocks', () => {
  it('uses one explicit Kubernetes provider for every Kubernetes resource', () => {
    expect(byType('pulumi:providers:kubernetes').map((e) => e.name)).toEqual(['kubernetes']);
    const k8s = result.entries.filter((e) => e.type.startsWith('kubernetes:'));
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
    ).toEqual(['backstage', 'cnpg-system', 'crossplane-system', 'kro-system']);
  });

  it('applies every object of the platform charts, after the controller whose CRDs it uses', () => {
    const charts = buildPlatformCharts(new App());
    const applied = result.entries.filter(
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
    expect(inputs(secret).data).toBe(SECRET_MARKER);
    expect(inputs(secret).metadata).toMatchObject({
      name: 'postgres-password-seed',
      namespace: 'kro-system',
    });
    expect(secret.dependsOn).toContain('random:index/randomBytes:RandomBytes::kro-password-seed');
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

  describe('the portal', () => {
    const release = (): any => inputs(one('kubernetes:helm.sh/v3:Release', 'backstage-chart'));

    it('passes values the Backstage chart accepts', () => {
      const r = release();
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

    it('runs the pinned image under the restricted profile with resources and probes', () => {
      const b = release().values.backstage;
      expect(b.image).toEqual({
        registry: 'ghcr.io',
        repository: 'acme/platform-portal',
        tag: '0.1.0',
        pullPolicy: 'IfNotPresent',
      });
      expect(b.podSecurityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(b.containerSecurityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(b.resources.requests).toBeDefined();
      expect(b.resources.limits).toBeDefined();
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(b[probe].httpGet.path, probe).toMatch(/^\/\.backstage\/health\/v1\//);
      }
    });

    it('mounts the config layers in order from ConfigMaps holding the files of backstage-config/', () => {
      const layers = release().values.backstage.extraAppConfig;
      expect(layers.map((l: any) => l.filename)).toEqual([
        'app-config.yaml',
        'app-config.production.yaml',
      ]);
      for (const { filename, configMapRef } of layers) {
        // The chart names a pod volume after the ConfigMap.
        expect(configMapRef).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        const cm = byType('kubernetes:core/v1:ConfigMap').find(
          (e) => inputs(e).metadata.name === configMapRef,
        )!;
        expect(inputs(cm).data[filename]).toBe(
          fs.readFileSync(path.join(root, 'backstage-config', filename), 'utf8'),
        );
      }
    });

    it('provides every ${VAR} of the production layer, credentials only from Secrets', () => {
      // The values, not the comments.
      const text = JSON.stringify(
        parse(
          fs.readFileSync(
            path.join(root, 'backstage-config', 'app-config.production.yaml'),
            'utf8',
          ),
        ),
      );
      const wanted = [
        ...new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1])),
      ].sort();
      const b = release().values.backstage;
      const env = inputs(
        byType('kubernetes:core/v1:ConfigMap').find(
          (e) => inputs(e).metadata.name === b.extraEnvVarsCM[0],
        )!,
      ).data;
      const fromSecrets = b.extraEnvVars
        .filter((e: any) => e.valueFrom?.secretKeyRef)
        .map((e: any) => e.name);
      expect([...Object.keys(env), ...fromSecrets].sort()).toEqual(wanted);
      expect(fromSecrets).toEqual([
        'POSTGRES_USER',
        'POSTGRES_PASSWORD',
        'AUTH_GITLAB_CLIENT_ID',
        'AUTH_GITLAB_CLIENT_SECRET',
      ]);
      expect(Object.keys(env).filter((k) => /PASSWORD|TOKEN|SECRET/.test(k))).toEqual([]);
      expect(b.extraEnvVars.filter((e: any) => e.value !== undefined)).toEqual([]);
    });

    it('reads the cluster read-only, exactly the kinds the plugin shows, through its own ServiceAccount', () => {
      const role = inputs(
        one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRole', 'backstage-kubernetes-reader'),
      );
      const granted = role.rules
        .flatMap((r: any) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`))
        .sort();
      expect(granted).toEqual(
        [
          '/configmaps',
          '/limitranges',
          '/pods',
          '/resourcequotas',
          '/services',
          'apiextensions.crossplane.io/compositeresourcedefinitions',
          'apiextensions.crossplane.io/compositions',
          'apps/daemonsets',
          'apps/deployments',
          'apps/replicasets',
          'apps/statefulsets',
          'autoscaling/horizontalpodautoscalers',
          'batch/cronjobs',
          'batch/jobs',
          'kro.run/resourcegraphdefinitions',
          'networking.k8s.io/ingresses',
          'platform.example.org/postgresdatabases',
          'platform.example.org/teamnamespaces',
        ].sort(),
      );
      for (const rule of role.rules) {
        expect(rule.verbs).toEqual(['get', 'list', 'watch']);
      }
      expect(JSON.stringify(role)).not.toMatch(/"\*"|secrets/);
      const binding = inputs(
        one(
          'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding',
          'backstage-kubernetes-reader',
        ),
      );
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'backstage', namespace: 'backstage' },
      ]);
      expect(release().values.serviceAccount).toEqual({
        create: true,
        name: 'backstage',
        automountServiceAccountToken: true,
      });
    });

    it('serves over TLS and admits traffic only from the ingress controller', () => {
      expect(release().values.ingress).toEqual({
        enabled: true,
        className: 'nginx',
        host: 'backstage.idp.dev.example.com',
        tls: { enabled: true, secretName: 'backstage-tls' },
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-staging' },
      });
      const policy = inputs(
        one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'backstage-network-policy'),
      );
      expect(validateObject(policy)).toEqual([]);
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.spec.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 7007 }],
        },
      ]);
      expect(policy.spec.egress[1].to[0].podSelector.matchLabels).toEqual({
        'cnpg.io/cluster': 'portal-db',
      });
    });
  });

  describe('GitLab', () => {
    const gitlab = (): PlanEntry[] =>
      result.entries.filter(
        (e) => e.type.startsWith('gitlab:') || e.type === 'pulumi:providers:gitlab',
      );

    it('sends only inputs the official provider accepts, pinned to its version', () => {
      expect(gitlab().length).toBe(7);
      for (const e of gitlab()) {
        expect(
          checkInputs(
            extract,
            e.type,
            e.inputs,
            (v) => v === SECRET_MARKER || v === UNKNOWN_MARKER,
          ),
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
        scopes: signInScopes(),
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
        groupId: inputs(teamA).parentId === undefined ? undefined : expect.any(Number),
      });
    });

    it('hands the OAuth client to the portal as a Secret, and keeps the admin token out of the cluster', () => {
      const secret = one('kubernetes:core/v1:Secret', 'gitlab-oauth-client');
      expect(inputs(secret).stringData).toBe(SECRET_MARKER);
      expect(inputs(secret).metadata).toMatchObject({
        name: 'portal-gitlab-oauth',
        namespace: 'backstage',
      });
      expect(plan).not.toContain(ADMIN_TOKEN);
      const kubernetes = result.entries.filter((e) => e.type.startsWith('kubernetes:'));
      expect(JSON.stringify(kubernetes)).not.toContain(ADMIN_TOKEN);
    });
  });

  it('never shows a secret value in the plan', () => {
    expect(plan).not.toContain(CANARY);
    expect(plan).not.toContain(Buffer.from(CANARY, 'base64').toString('utf8'));
    expect(plan).toContain(SECRET_MARKER);
  });

  it('exports the portal URL and the installed versions', () => {
    expect(result.exports).toEqual({
      backstageUrl: 'https://backstage.idp.dev.example.com',
      databaseHost: 'portal-db-rw.backstage.svc',
      gitlabRedirectUrl: 'https://backstage.idp.dev.example.com/api/auth/gitlab/handler/frame',
      gitlabGroups: {
        platform: UNKNOWN_MARKER,
        platformTeam: UNKNOWN_MARKER,
        customers: UNKNOWN_MARKER,
        'team-a': UNKNOWN_MARKER,
      },
      installedVersions: {
        crossplane: versions.crossplane.chart,
        kro: versions.kro.chart,
        cloudnativePg: versions.cloudnativePg.chart,
        backstage: versions.backstage.chart,
        crossplaneFunctions: { patchAndTransform: 'v0.10.8', autoReady: 'v0.7.0' },
      },
    });
  });

  it('parents every child to its component', () => {
    for (const e of result.entries) {
      // The portal namespace belongs to the stack: the portal and its database share it.
      const stackLevel =
        e.type.startsWith('platform:') ||
        e.type === 'pulumi:providers:kubernetes' ||
        e.name === 'portal-namespace';
      if (stackLevel) {
        expect(e.parent, e.name).toBeUndefined();
      } else {
        expect(e.parent, e.name).toMatch(/^platform:/);
      }
    }
  });
});

function byIdentity(a: any, b: any): number {
  return `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);
}
