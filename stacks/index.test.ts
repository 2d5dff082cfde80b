import * as path from 'node:path';
import { App } from 'cdk8s';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../charts/platform';
import { RESTRICTED_NAMESPACE_LABELS } from '../infra/namespace';
import { versions } from '../infra/versions';
import { validateObject } from '../testing/schemas';
import {
  readStackConfig,
  renderPlan,
  runUnderMocks,
  SECRET_MARKER,
  type PlanEntry,
  type RunResult,
} from './plan';

// A value no output may ever show: the mocks give it to every generated secret.
const CANARY = 'Q0FOQVJZLXNlY3JldC12YWx1ZS1uZXZlci1zaG93bg==';

let result: RunResult;
let plan: string;
const root = path.resolve(__dirname, '..');

beforeAll(async () => {
  result = await runUnderMocks({
    stack: 'dev',
    config: readStackConfig(path.join(root, 'Pulumi.dev.yaml')),
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

  it('never shows a secret value in the plan', () => {
    expect(plan).not.toContain(CANARY);
    expect(plan).not.toContain(Buffer.from(CANARY, 'base64').toString('utf8'));
    expect(plan).toContain(SECRET_MARKER);
  });

  it('exports the portal URL and the installed versions', () => {
    expect(result.exports).toEqual({
      backstageUrl: 'https://backstage.idp.dev.example.com',
      databaseHost: 'portal-db-rw.backstage.svc',
      installedVersions: {
        crossplane: versions.crossplane.chart,
        kro: versions.kro.chart,
        cloudnativePg: versions.cloudnativePg.chart,
        crossplaneFunctions: { patchAndTransform: 'v0.10.8', autoReady: 'v0.7.0' },
      },
    });
  });

  it('parents every child to its component', () => {
    for (const e of result.entries) {
      // The portal namespace belongs to the stack: the portal and its database share it.
      const stackLevel =
        e.type.startsWith('platform:') ||
        e.type.startsWith('pulumi:providers:') ||
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
