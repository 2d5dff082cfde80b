/**
 * What the platform installs before its own objects, on a test control plane (testing/cluster.ts):
 * the upstream CRDs, the RBAC the Crossplane and Kro Helm charts install (rendered by Helm's own
 * engine from the charts in the projects' Go modules, with the stack's values from the offline
 * plan), and the controllers themselves, each running as its chart's ServiceAccount: the
 * kube-controller-manager for ClusterRole aggregation, quota and garbage collection, the Kro
 * controller, Crossplane's core and RBAC manager.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { versions } from '../versions';
import {
  type Cluster,
  field,
  type Identity,
  type Manifest,
  metaOf,
  START_TIMEOUT_MS,
  waitUntil,
} from './cluster';

export type { Manifest } from './cluster';
import { CONTROL_PLANE_DIR, controlPlaneCommand } from './control-plane-build';
import { readUpstream } from './schemas';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
export const DIST_PLATFORM = path.join(ROOT, 'dist', 'platform');

/** Every YAML document of a file (or string), as plain objects. */
export function yamlObjects(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null && typeof o === 'object');
}

/** The folder of a module of testing/control-plane's build list, at the version go.mod pins. */
export function moduleDir(modulePath: string): string {
  const out = execFileSync('go', ['list', '-m', '-json', modulePath], {
    cwd: CONTROL_PLANE_DIR,
    encoding: 'utf8',
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (dir === undefined)
    throw new Error(`go list -m ${modulePath}: not downloaded (go mod download)`);
  return dir;
}

const yamlFilesIn = (dir: string): Manifest[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => yamlObjects(fs.readFileSync(path.join(dir, f), 'utf8')));

/**
 * The upstream CRDs the platform relies on, at the pinned versions: Crossplane's (its module's
 * cluster/crds, what `crossplane core init` installs), Kro's (its module's helm/crds, what its
 * chart installs) and CloudNativePG's Cluster (its snapshot in upstream/: no Go module of ours
 * carries the operator; the snapshot keeps everything the API server validates with). The one
 * place tests take CRDs from.
 */
export function upstreamCrds(): Manifest[] {
  return [
    ...yamlFilesIn(path.join(moduleDir('github.com/crossplane/crossplane/v2'), 'cluster', 'crds')),
    ...yamlFilesIn(path.join(moduleDir('github.com/kubernetes-sigs/kro'), 'helm', 'crds')),
    readUpstream('upstream/cloudnative-pg/postgresql.cnpg.io_clusters.yaml') as Manifest,
  ].filter((o) => o.kind === 'CustomResourceDefinition');
}

/** Applies the CRDs and waits until the API server serves every one (Established). */
export async function installCrds(cluster: Cluster, crds: readonly Manifest[]): Promise<void> {
  const r = await cluster.apply(crds);
  if (r.status !== 0) throw new Error(`installing CRDs: ${r.stderr}`);
  await cluster.kubectlOk([
    'wait',
    '--for=condition=Established',
    `--timeout=${START_TIMEOUT_MS / 1000}s`,
    ...crds.map((c) => `crd/${metaOf(c).name}`),
  ]);
}

/** One resource of the offline plan (dist/plan/dev.yaml): what `pulumi up` registers. */
export interface PlanResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Manifest;
}

export function planResources(stack = 'dev'): PlanResource[] {
  const plan = parse(fs.readFileSync(path.join(ROOT, 'dist', 'plan', `${stack}.yaml`), 'utf8')) as {
    resources: PlanResource[];
  };
  return plan.resources;
}

/** The Kubernetes objects of the plan of one kind (`rbac.authorization.k8s.io/v1:ClusterRole`). */
export function planObjects(kind: string, stack = 'dev'): Manifest[] {
  return planResources(stack)
    .filter((r) => r.type === `kubernetes:${kind}`)
    .map((r) => r.inputs);
}

const CHARTS = {
  crossplane: {
    module: 'github.com/crossplane/crossplane/v2',
    dir: 'cluster/charts/crossplane',
    version: versions.crossplane.chart,
  },
  kro: { module: 'github.com/kubernetes-sigs/kro', dir: 'helm', version: versions.kro.chart },
} as const;

/** What a chart installs with the stack's values (the plan's Helm release of that name). */
export async function chartObjects(chart: keyof typeof CHARTS, work: string): Promise<Manifest[]> {
  const release = planResources().find(
    (r) => r.type === 'kubernetes:helm.sh/v3:Release' && r.inputs.name === chart,
  );
  if (release === undefined) throw new Error(`dist/plan/dev.yaml: no Helm release ${chart}`);
  const values = path.join(work, `${chart}-values.json`);
  fs.writeFileSync(values, JSON.stringify(release.inputs.values ?? {}));
  const c = CHARTS[chart];
  const { stdout } = await execFileAsync(
    await controlPlaneCommand('helm-template'),
    [
      `-chart=${path.join(moduleDir(c.module), c.dir)}`,
      `-name=${chart}`,
      `-namespace=${release.inputs.namespace as string}`,
      `-version=${c.version}`,
      `-kube-version=${versions.controlPlane.kubernetes}`,
      `-values=${values}`,
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
  );
  return yamlObjects(stdout);
}

const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

/** The identity a ServiceAccount's pods have (its token's user and groups). */
export const serviceAccount = (namespace: string, name: string): Identity => ({
  user: `system:serviceaccount:${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
});

/**
 * Installs a chart's namespace and RBAC (not its workloads: nothing would run them) and returns
 * the identity of the ServiceAccount its Deployment named `deployment` runs as.
 */
async function installChartRbac(
  cluster: Cluster,
  chart: keyof typeof CHARTS,
): Promise<{ objects: Manifest[]; identityOf: (deployment: string) => Identity }> {
  const objects = await chartObjects(chart, cluster.dir);
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const namespace = deployment === undefined ? undefined : metaOf(deployment).namespace;
  if (namespace === undefined) throw new Error(`${chart} chart: no namespaced Deployment`);
  await cluster.apply(planObjects('core/v1:Namespace').filter((n) => metaOf(n).name === namespace));
  const rbac = objects.filter((o) => RBAC_KINDS.includes(o.kind as string));
  const r = await cluster.apply(rbac);
  if (r.status !== 0) throw new Error(`${chart} chart RBAC: ${r.stderr}`);
  return {
    objects,
    identityOf: (name) => {
      const d = objects.find((o) => o.kind === 'Deployment' && metaOf(o).name === name);
      const account = field<string>(d, 'spec', 'template', 'spec', 'serviceAccountName');
      if (account === undefined) throw new Error(`${chart} chart: no Deployment ${name}`);
      return serviceAccount(namespace, account);
    },
  };
}

/**
 * kube-controller-manager with only the controllers a cluster without nodes needs for what we
 * test: ClusterRole aggregation (Crossplane's and Kro's ClusterRoles are aggregated), resource
 * quota accounting (a ResourceQuota without status refuses every object in its namespace), the
 * admission policies' type checking (their status), namespace deletion, garbage collection,
 * volume binding and the removal of a deleted claim's protection finalizer, and each namespace's
 * `default` ServiceAccount (which a Pod needs to be admitted).
 */
export async function startControllerManager(cluster: Cluster): Promise<void> {
  await cluster.start('kube-controller-manager', 'kube-controller-manager', [
    `--kubeconfig=${cluster.kubeconfig}`,
    `--controllers=${[
      'clusterrole-aggregation-controller',
      'resourcequota-controller',
      'validatingadmissionpolicy-status-controller',
      'namespace-controller',
      'garbage-collector-controller',
      'persistentvolumeclaim-protection-controller',
      'persistentvolume-binder-controller',
      'serviceaccount-controller',
    ].join(',')}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--use-service-account-credentials=false',
  ]);
}

/** Waits until the aggregated ClusterRoles a chart binds to a ServiceAccount have their rules. */
async function aggregatedRolesOf(
  cluster: Cluster,
  objects: readonly Manifest[],
  identity: Identity,
): Promise<void> {
  const bound = objects
    .filter((o) => o.kind === 'ClusterRoleBinding')
    .filter((b) =>
      (b.subjects as Manifest[]).some(
        (s) =>
          `system:serviceaccount:${s.namespace as string}:${s.name as string}` === identity.user,
      ),
    )
    .map((b) => field<string>(b, 'roleRef', 'name'));
  const aggregating = objects.filter(
    (o) =>
      o.kind === 'ClusterRole' && o.aggregationRule !== undefined && bound.includes(metaOf(o).name),
  );
  for (const role of aggregating) {
    const name = metaOf(role).name;
    await waitUntil(
      `ClusterRole ${name} (aggregation)`,
      async () =>
        (field<unknown[]>(await cluster.get('clusterrole', name), 'rules')?.length ?? 0) > 0,
      START_TIMEOUT_MS,
      () => cluster.log('kube-controller-manager'),
    );
  }
}

/** Kro's chart RBAC and its controller, as the chart's ServiceAccount. */
export async function startKro(cluster: Cluster): Promise<Identity> {
  const { objects, identityOf } = await installChartRbac(cluster, 'kro');
  const identity = identityOf('kro');
  await aggregatedRolesOf(cluster, objects, identity);
  await cluster.start(
    'kro',
    'kro-controller',
    [
      '--leader-elect=false',
      '--metrics-bind-address=0',
      '--health-probe-bind-address=0',
      // The chart's default is 3 s; the tests wait on every instance.
      '--instance-requeue-interval=1s',
    ],
    { KUBECONFIG: cluster.kubeconfigAs('kro', identity) },
  );
  return identity;
}

/** Crossplane's chart RBAC, its core and RBAC manager, each as the chart's ServiceAccount. */
export async function startCrossplane(
  cluster: Cluster,
): Promise<{ core: Identity; rbac: Identity }> {
  const { objects, identityOf } = await installChartRbac(cluster, 'crossplane');
  const core = identityOf('crossplane');
  const rbac = identityOf('crossplane-rbac-manager');
  await aggregatedRolesOf(cluster, objects, core);
  await aggregatedRolesOf(cluster, objects, rbac);
  // The client certificate the core presents to composition functions (unused here: the tests
  // compose with `crossplane composition render`), which it loads at start.
  const tls = path.join(cluster.dir, 'crossplane-tls');
  fs.mkdirSync(tls, { recursive: true });
  const pki = path.join(cluster.dir, 'pki');
  fs.copyFileSync(path.join(pki, 'ca.crt'), path.join(tls, 'ca.crt'));
  fs.copyFileSync(path.join(pki, 'admin.crt'), path.join(tls, 'tls.crt'));
  fs.copyFileSync(path.join(pki, 'admin.key'), path.join(tls, 'tls.key'));
  const namespace = core.user.split(':')[2];
  await cluster.start('crossplane-rbac-manager', 'crossplane', ['rbac', 'start'], {
    KUBECONFIG: cluster.kubeconfigAs('crossplane-rbac-manager', rbac),
    POD_NAMESPACE: namespace,
  });
  await cluster.start(
    'crossplane',
    'crossplane',
    [
      'core',
      'start',
      '--metrics-port=0',
      '--health-probe-port=0',
      `--xpkg-cache-dir=${path.join(cluster.dir, 'xpkg-cache')}`,
    ],
    {
      KUBECONFIG: cluster.kubeconfigAs('crossplane', core),
      POD_NAMESPACE: namespace,
      POD_SERVICE_ACCOUNT: core.user.split(':')[3],
      ENABLE_WEBHOOKS: 'false',
      TLS_CLIENT_CERTS_DIR: tls,
    },
  );
  return { core, rbac };
}
