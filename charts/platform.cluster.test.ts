/**
 * dist/platform on a real control plane (testing/platform-cluster.ts): the upstream CRDs
 * install, every object is accepted by kube-apiserver (structural schemas, CEL rules compiled by
 * the API server, admission policies type-checked against the kinds they match), Crossplane and
 * Kro turn the XRD and the RGD into served APIs, and RBAC is what the cluster will enforce: the
 * claims pipeline's own jobs run as the identity the GitLab agent gives them, and the
 * controllers' aggregated ClusterRoles grant what they compose.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AccessRequest, type Identity } from '../testing/cluster';
import { planObjects, upstreamCrds, type Manifest } from '../testing/cluster-addons';
import { controlPlaneCommand } from '../testing/control-plane-build';
import {
  CLUSTER_TEST_TIMEOUT_MS,
  condition,
  distObjects,
  type Platform,
  SETUP_TIMEOUT_MS,
  startPlatform,
  waitForObject,
} from '../testing/platform-cluster';
import { templateFiles } from '../testing/template-claims';
import {
  CLAIMS_AGENT,
  claimKinds,
  claimsPipeline,
} from '../generators/claims-repository/claims-repository';
import { buildPlatformCharts } from './platform';
import { testApp } from '../testing/cdk8s-app';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await platform?.cluster.stop();
});

const nameOf = (o: Manifest): string => o.metadata.name as string;

describe('dist/platform on kube-apiserver', { timeout: CLUSTER_TEST_TIMEOUT_MS }, () => {
  it('installs the upstream CRDs, each served (Established)', async () => {
    const crds = upstreamCrds();
    const served = JSON.parse(await platform.cluster.kubectlOk(['get', 'crd', '-o', 'json'])) as {
      items: Manifest[];
    };
    for (const crd of crds) {
      const live = served.items.find((c) => nameOf(c) === nameOf(crd));
      expect(live && condition(live, 'Established')?.status, nameOf(crd)).toBe('True');
    }
    // Crossplane's, Kro's and CloudNativePG's kinds the platform and the stack use.
    expect(crds.map(nameOf)).toEqual(
      expect.arrayContaining([
        'compositeresourcedefinitions.apiextensions.crossplane.io',
        'compositions.apiextensions.crossplane.io',
        'functions.pkg.crossplane.io',
        'deploymentruntimeconfigs.pkg.crossplane.io',
        'resourcegraphdefinitions.kro.run',
        'clusters.postgresql.cnpg.io',
      ]),
    );
  });

  it('accepts every object of dist/platform with server-side apply', async () => {
    expect(platform.applied.stderr).toBe('');
    expect(platform.applied.status).toBe(0);
    const objects = distObjects();
    const lines = platform.applied.stdout.trim().split('\n');
    expect(lines).toHaveLength(objects.length);
    for (const line of lines) expect(line).toMatch(/ serverside-applied$/);
    // The same, as a dry run by the API server now that every object exists: nothing changes.
    const again = await platform.cluster.apply(objects, { dryRun: true });
    expect(again.stderr).toBe('');
  });

  it('serves the TeamNamespace API (Crossplane) and the PostgresDatabase API (Kro)', async () => {
    const { cluster } = platform;
    const xrd = await waitForObject(
      cluster,
      { resource: 'compositeresourcedefinition', name: 'teamnamespaces.platform.example.org' },
      (o) => condition(o, 'Established')?.status === 'True',
      'Established',
      () => cluster.log('crossplane'),
    );
    expect(condition(xrd, 'Established')?.reason).toBe('WatchingCompositeResource');
    const rgd = await waitForObject(
      cluster,
      { resource: 'resourcegraphdefinition', name: 'postgresdatabases.platform.example.org' },
      (o) => o.status?.state === 'Active',
      'Active',
      () => cluster.log('kro'),
    );
    expect(rgd.status.conditions.filter((c: Manifest) => c.status !== 'True')).toEqual([]);
    for (const crd of [
      'teamnamespaces.platform.example.org',
      'postgresdatabases.platform.example.org',
    ]) {
      await waitForObject(
        cluster,
        { resource: 'crd', name: crd },
        (o) => condition(o, 'Established')?.status === 'True',
        'Established',
      );
    }
  });

  it('type-checks every ValidatingAdmissionPolicy against the kinds it matches: no warning', async () => {
    const { cluster } = platform;
    const policies = distObjects().filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    expect(policies.length).toBeGreaterThanOrEqual(5);
    for (const policy of policies) {
      // The policy status controller (kube-controller-manager) checks once the kinds are served.
      const live = await waitForObject(
        cluster,
        { resource: 'validatingadmissionpolicy', name: nameOf(policy) },
        (o) =>
          o.status?.observedGeneration === o.metadata.generation &&
          o.status?.typeChecking !== undefined,
        'type-checked',
      );
      expect(live.status.typeChecking.expressionWarnings ?? [], nameOf(policy)).toEqual([]);
    }
  });

  it('reports a policy expression that does not fit the kinds it matches, and refuses one that does not compile', async () => {
    const { cluster } = platform;
    const policy = structuredClone(
      distObjects().find(
        (o) => nameOf(o) === 'postgresdatabases.platform.example.org-protect-instances',
      ),
    ) as Manifest;
    policy.metadata = { name: 'test-type-error' };
    policy.spec.validations = [{ expression: 'oldObject.spec.noSuchField == true' }];
    expect((await cluster.apply([policy])).status).toBe(0);
    const live = await waitForObject(
      cluster,
      { resource: 'validatingadmissionpolicy', name: 'test-type-error' },
      (o) => (o.status?.typeChecking?.expressionWarnings?.length ?? 0) > 0,
      'type-checked with a warning',
    );
    expect(live.status.typeChecking.expressionWarnings[0].warning).toMatch(
      /undefined field 'noSuchField'/,
    );
    policy.metadata = { name: 'test-syntax-error' };
    policy.spec.validations = [{ expression: 'oldObject.spec.deletionProtection ==' }];
    const refused = await cluster.apply([policy]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/compilation failed/);
  });
});

/** The identity the GitLab agent (`access_as: ci_job`) gives a job of the claims project. */
function ciJob(): Identity {
  const binding = planObjects('rbac.authorization.k8s.io/v1:ClusterRoleBinding').find(
    (b) => b.roleRef.name === 'platform-claims-applier',
  );
  const group = binding?.subjects?.[0]?.name as string;
  expect(group).toMatch(/^gitlab:project:\d+$/);
  return { user: 'gitlab:ci_job:4242', groups: ['gitlab:ci_job', group] };
}

const runSh = (script: string, cwd: string, env: Record<string, string>) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
    execFile(
      'sh',
      ['-ec', script],
      { cwd, env: { ...process.env, ...env }, timeout: 120_000 },
      (e, stdout, stderr) =>
        done({ status: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, stdout, stderr }),
    );
  });

describe('RBAC as the cluster enforces it', { timeout: CLUSTER_TEST_TIMEOUT_MS }, () => {
  const CLAIMS_PROJECT = 'acme-platform/claims';
  let checkout: string;
  let jobs: Record<string, { script: string[] }>;
  let env: Record<string, string>;

  beforeAll(async () => {
    const { cluster, renderer } = platform;
    const rbac = [
      ...planObjects('rbac.authorization.k8s.io/v1:ClusterRole'),
      ...planObjects('rbac.authorization.k8s.io/v1:ClusterRoleBinding'),
    ].filter((o) => nameOf(o) === 'platform-claims-applier');
    expect(rbac).toHaveLength(2);
    await cluster.applyOk(rbac);
    // The claims of the templates' worked examples, in a checkout of the claims repository.
    checkout = path.join(cluster.dir, 'claims-checkout');
    const files = {
      ...(await templateFiles('team-namespace')),
      ...(await templateFiles('customer-group')),
      ...(await templateFiles('postgres-database')),
    };
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
      fs.writeFileSync(path.join(checkout, file), content);
    }
    // The database's namespace as Crossplane composes it (a PostgresDatabase goes only there).
    const teamA = parse(files['claims/teamnamespaces/team-a.yaml']) as Manifest;
    const composed = await renderer.render(teamA);
    expect(composed.stderr).toBe('');
    await cluster.applyOk(composed.composed);
    // The pipeline's jobs, and the kube context the agent provides, impersonating the job.
    const pipeline = parse(claimsPipeline(claimKinds(buildPlatformCharts(testApp())))) as Record<
      string,
      any
    >;
    jobs = pipeline as typeof jobs;
    const context = (pipeline.variables.KUBE_CONTEXT as string).replace(
      '$CI_PROJECT_PATH',
      CLAIMS_PROJECT,
    );
    // The agent's kube context is named after the project and the agent; the job picks it.
    const kubeconfig = cluster.kubeconfigAs('ci-job', ciJob(), 'default');
    fs.writeFileSync(
      kubeconfig,
      fs.readFileSync(kubeconfig, 'utf8').replace(/: default$/gm, `: ${context}`),
    );
    env = {
      PATH: `${path.dirname(await controlPlaneCommand('kubectl'))}:${process.env.PATH ?? ''}`,
      KUBECONFIG: kubeconfig,
      CI_PROJECT_PATH: CLAIMS_PROJECT,
      KUBE_CONTEXT: context,
    };
  }, CLUSTER_TEST_TIMEOUT_MS);

  it("lets the claims pipeline's dry-run and apply jobs, run for real, create the rendered claims", async () => {
    const dryRun = await runSh(jobs['dry-run'].script.join('\n'), checkout, env);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toMatch(/teamnamespace.* serverside-applied \(server dry run\)/);
    expect(await platform.cluster.get('teamnamespace', 'team-b')).toBeUndefined();
    const apply = await runSh(jobs.apply.script.join('\n'), checkout, env);
    expect(apply.stderr).toBe('');
    expect(apply.status).toBe(0);
    for (const [resource, name, namespace] of [
      ['teamnamespace', 'team-a'],
      ['teamnamespace', 'team-b'],
      ['postgresdatabase', 'orders', 'team-a'],
    ] as const) {
      const live = await platform.cluster.get(resource, name, namespace, { managedFields: true });
      expect(
        live?.metadata.managedFields.map((m: Manifest) => m.manager),
        name,
      ).toContain(CLAIMS_AGENT.fieldManager);
    }
  });

  it('does not let the claims pipeline delete claims, read Secrets or create other kinds', async () => {
    const { cluster } = platform;
    const job = ciJob();
    expect(
      await cluster.canI(job, [
        { verb: 'create', group: 'platform.example.org', resource: 'teamnamespaces' },
        {
          verb: 'patch',
          group: 'platform.example.org',
          resource: 'postgresdatabases',
          namespace: 'team-a',
        },
        { verb: 'delete', group: 'platform.example.org', resource: 'teamnamespaces' },
        {
          verb: 'delete',
          group: 'platform.example.org',
          resource: 'postgresdatabases',
          namespace: 'team-a',
        },
        { verb: 'get', resource: 'secrets', namespace: 'team-a' },
        { verb: 'list', resource: 'secrets', namespace: 'kro-system' },
        { verb: 'create', resource: 'configmaps', namespace: 'team-a' },
      ]),
    ).toEqual([true, true, false, false, false, false, false]);
    const deleted = await cluster.kubectl(['delete', 'teamnamespace', 'team-b'], { as: job });
    expect(deleted.stderr).toMatch(
      /forbidden: User "gitlab:ci_job:4242" cannot delete resource "teamnamespaces"/,
    );
    const seed = await cluster.kubectl(
      ['-n', 'kro-system', 'get', 'secret', 'postgres-password-seed'],
      { as: job },
    );
    expect(seed.stderr).toMatch(/cannot get resource "secrets"/);
  });

  it("grants Crossplane and Kro, through their charts' aggregated ClusterRoles, every kind they compose", async () => {
    const { cluster, renderer } = platform;
    const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    const requestsFor = async (objects: readonly Manifest[]) =>
      (
        await Promise.all(
          objects.map(async (o) => {
            const r = await cluster.resourceOf(o.apiVersion as string, o.kind as string);
            const namespace = o.metadata?.namespace as string | undefined;
            return verbs.map((verb) => ({
              verb,
              ...r,
              ...(namespace === undefined ? {} : { namespace }),
            }));
          }),
        )
      ).flat();
    const refused = async (identity: Identity, requests: AccessRequest[]) => {
      const allowed = await cluster.canI(identity, requests);
      return requests.filter((_, i) => !allowed[i]);
    };

    const claim = fs.readFileSync(path.join(checkout, 'claims/teamnamespaces/team-b.yaml'), 'utf8');
    const composed = (await renderer.render(parse(claim) as Manifest)).composed;
    expect(composed.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'RoleBinding']),
    );
    const crossplane = platform.crossplane as Identity;
    expect(await refused(crossplane, await requestsFor(composed))).toEqual([]);
    // Binding edit and view in a team namespace needs `bind` on them (or holding all they grant).
    expect(
      await cluster.canI(crossplane, [
        {
          verb: 'bind',
          group: 'rbac.authorization.k8s.io',
          resource: 'clusterroles',
          name: 'edit',
        },
        {
          verb: 'bind',
          group: 'rbac.authorization.k8s.io',
          resource: 'clusterroles',
          name: 'view',
        },
        {
          verb: 'bind',
          group: 'rbac.authorization.k8s.io',
          resource: 'clusterroles',
          name: 'admin',
        },
      ]),
    ).toEqual([true, true, false]);

    // Kro: every kind of the database graph, in a team namespace, and the seed it reads.
    const rgd = distObjects().find((o) => o.kind === 'ResourceGraphDefinition') as Manifest;
    const templates = (rgd.spec.resources as Manifest[]).map((r) => ({
      ...(r.template ?? r.externalRef),
      metadata: { namespace: r.externalRef?.metadata?.namespace ?? 'team-a' },
    }));
    expect(templates.map((t) => t.kind)).toEqual(
      expect.arrayContaining(['Secret', 'Service', 'PersistentVolumeClaim', 'Deployment']),
    );
    const kro = platform.kro as Identity;
    expect(await refused(kro, await requestsFor(templates))).toEqual([]);
  });
});
