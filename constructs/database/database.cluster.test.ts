/**
 * The PostgresDatabase API on a real control plane (testing/platform-cluster.ts): the Kro 0.9.3
 * controller reconciles the RGD of dist/platform and serves its CRD; the postgres-database
 * template's rendered claim, in a team namespace Crossplane's composition made, becomes the
 * Secret, volume claim, Deployment and Service the README promises; the API server and Kro refuse
 * bad claims with the messages the README's troubleshooting section quotes.
 *
 * Readiness: no kubelet or scheduler runs, so no pod ever exists. Asserted: the RGD is Active,
 * the instance's resources exist as specified, the Deployment's pod template is admitted by Pod
 * Security admission ("restricted", the team namespace's enforce level), and the instance reports
 * `ready: false` with its host, port and Secret name. Not asserted: that PostgreSQL starts,
 * that its probes pass, that the instance ever becomes ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { versions } from '../../versions';
import { type Manifest } from '../../testing/cluster-addons';
import {
  CLUSTER_TEST_TIMEOUT_MS,
  composeTeamNamespace,
  condition,
  distObjects,
  type Platform,
  SETUP_TIMEOUT_MS,
  startPlatform,
  waitForObject,
  applyEdited,
} from '../../testing/platform-cluster';
import { templateClaim, templateFiles } from '../../testing/template-claims';

let platform: Platform;
let claim: Manifest;
const NS = 'team-a';

beforeAll(async () => {
  platform = await startPlatform();
  const { cluster } = platform;
  const team = parse(
    (await templateFiles('team-namespace'))['claims/teamnamespaces/team-a.yaml'],
  ) as Manifest;
  await composeTeamNamespace(platform, team);
  claim = await templateClaim('postgres-database');
  // A volume for the claim to bind to (the binder of kube-controller-manager binds it), as a
  // provisioner would make one: a bound claim is what resizing rules apply to.
  await cluster.applyOk([
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'test-orders' },
      spec: {
        capacity: { storage: claim.spec.storage },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: '/nonexistent/test-orders' },
      },
    },
  ]);
  await waitForObject(
    cluster,
    { resource: 'resourcegraphdefinition', name: 'postgresdatabases.platform.example.org' },
    (o) => o.status?.state === 'Active',
    'Active',
    () => cluster.log('kro'),
  );
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await platform?.cluster.stop();
});

const get = (resource: string, name: string) => platform.cluster.get(resource, name, NS);
const labelsFor = (name: string) => ({
  'app.kubernetes.io/instance': name,
  'app.kubernetes.io/managed-by': 'kro',
  'app.kubernetes.io/name': 'postgresql',
  'backstage.io/kubernetes-id': name,
});
const passwordOf = (secret: Manifest): string =>
  Buffer.from(secret.data.password as string, 'base64').toString();

describe('PostgresDatabase on Kro', { timeout: CLUSTER_TEST_TIMEOUT_MS }, () => {
  it("makes an RGD with a string in a Secret's data Inactive, with Kro's type error", async () => {
    const { cluster } = platform;
    const rgd = structuredClone(
      distObjects().find((o) => o.kind === 'ResourceGraphDefinition'),
    ) as Manifest;
    rgd.metadata = { name: 'brokendatabases.platform.example.org' };
    rgd.spec.schema.kind = 'BrokenDatabase';
    const secret = (rgd.spec.resources as Manifest[]).find((r) => r.id === 'credentials')
      ?.template as Manifest;
    secret.data = { username: '${base64.encode(bytes(schema.spec.username))}' };
    delete secret.stringData;
    await cluster.applyOk([rgd]);
    const live = await waitForObject(
      cluster,
      { resource: 'resourcegraphdefinition', name: 'brokendatabases.platform.example.org' },
      (o) => o.status?.state === 'Inactive',
      'Inactive',
    );
    expect(JSON.stringify(live.status.conditions)).toMatch(
      /type mismatch in resource \\"credentials\\" at path \\"data\.username\\".*returns type \\"string\\" but expected \\"bytes\\"/,
    );
    expect(await cluster.get('crd', 'brokendatabases.platform.example.org')).toBeUndefined();
    await cluster.kubectlOk([
      'delete',
      'resourcegraphdefinition',
      'brokendatabases.platform.example.org',
    ]);
  });

  it("creates the template's claim's Secret, volume claim, Deployment and Service as the README says", async () => {
    const { cluster } = platform;
    expect(claim.metadata).toMatchObject({ name: 'orders', namespace: NS });
    await cluster.applyOk([claim]);
    const name = claim.metadata.name as string;
    const secret = await waitForObject(
      cluster,
      { resource: 'secret', name: `${name}-credentials`, namespace: NS },
      () => true,
      'created',
      () => cluster.log('kro'),
    );
    expect(secret.type).toBe('servicebinding.io/postgresql');
    expect(secret.metadata.labels).toMatchObject(labelsFor(name));
    const data = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
    expect(Object.keys(data).sort()).toEqual([
      'database',
      'host',
      'password',
      'port',
      'provider',
      'type',
      'username',
    ]);
    expect(data).toMatchObject({
      host: `${name}.${NS}.svc`,
      port: '5432',
      database: 'app',
      username: 'app',
    });
    expect(data.password).toMatch(/^[A-Za-z0-9]{43}$/);

    const pvc = await waitForObject(
      cluster,
      { resource: 'pvc', name: `${name}-data`, namespace: NS },
      () => true,
      'created',
    );
    expect(pvc.metadata.labels).toMatchObject({
      ...labelsFor(name),
      'platform.example.org/deletion-protection': 'true',
    });
    expect(pvc.spec.resources.requests.storage).toBe(claim.spec.storage);
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);

    const deployment = await waitForObject(
      cluster,
      { resource: 'deployment', name, namespace: NS },
      () => true,
      'created',
    );
    expect(deployment.metadata.labels).toMatchObject(labelsFor(name));
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec as Manifest;
    const [postgres] = pod.containers as Manifest[];
    expect(postgres.image).toBe(versions.postgresImages[claim.spec.version as '16']);
    expect(pod.securityContext).toMatchObject({
      runAsUser: 999,
      runAsGroup: 999,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(postgres.securityContext).toMatchObject({
      runAsUser: 999,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
      expect(postgres[probe], probe).toBeDefined();
    // The spec's defaults, as the API server applied them to the instance.
    expect(postgres.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    expect(
      postgres.env
        .filter((e: Manifest) => e.valueFrom)
        .map((e: Manifest) => e.valueFrom.secretKeyRef),
    ).toEqual([
      { name: `${name}-credentials`, key: 'database' },
      { name: `${name}-credentials`, key: 'username' },
      { name: `${name}-credentials`, key: 'password' },
    ]);
    expect(
      pod.volumes.find((v: Manifest) => v.name === 'data').persistentVolumeClaim.claimName,
    ).toBe(`${name}-data`);

    const service = await waitForObject(
      cluster,
      { resource: 'service', name, namespace: NS },
      () => true,
      'created',
    );
    expect(service.metadata.labels).toMatchObject(labelsFor(name));
    expect(service.spec).toMatchObject({
      type: 'ClusterIP',
      ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }],
    });
    expect(service.spec.selector).toEqual({
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/name': 'postgresql',
    });
  });

  it('admits the Deployment\'s pod under the namespace\'s Pod Security "restricted" enforcement', async () => {
    const { cluster } = platform;
    const ns = await cluster.get('namespace', NS);
    expect(ns?.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    const deployment = (await get('deployment', 'orders')) as Manifest;
    await waitForObject(
      cluster,
      { resource: 'serviceaccount', name: 'default', namespace: NS },
      () => true,
      'created',
    );
    const pod = (spec: Manifest) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orders-admission', namespace: NS },
      spec,
    });
    const admitted = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: stringify(pod(deployment.spec.template.spec)),
    });
    expect(admitted.stderr).toBe('');
    expect(admitted.status).toBe(0);
    // ...and the same pod without its non-root user is refused there: the check can fail.
    const root = structuredClone(deployment.spec.template.spec) as Manifest;
    delete root.securityContext.runAsNonRoot;
    delete root.containers[0].securityContext.runAsNonRoot;
    const refused = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: stringify(pod(root)),
    });
    expect(refused.stderr).toMatch(
      /violates PodSecurity "restricted:latest": runAsNonRoot != true/,
    );
  });

  it('reports host, port and Secret, and not ready: no kubelet runs the Deployment', async () => {
    const { cluster } = platform;
    const instance = await waitForObject(
      cluster,
      { resource: 'postgresdatabase', name: 'orders', namespace: NS },
      (o) => o.status?.host !== undefined,
      'with status',
    );
    expect(instance.status).toMatchObject({
      host: `orders.${NS}.svc`,
      port: 5432,
      secretName: 'orders-credentials',
      ready: false,
    });
    expect(((await get('deployment', 'orders')) as Manifest).status?.readyReplicas).toBeUndefined();
  });

  it('keeps the volume when the instance is deleted, and adopts it again with the same password', async () => {
    const { cluster } = platform;
    const before = {
      pvc: (await get('pvc', 'orders-data')) as Manifest,
      secret: (await get('secret', 'orders-credentials')) as Manifest,
    };
    // Protected: refused, to cluster admins too.
    const refused = await cluster.kubectl(['-n', NS, 'delete', 'postgresdatabase', 'orders']);
    expect(refused.stderr).toMatch(/postgresdatabases\.platform\.example\.org-protect-instances/);
    // The README's steps: unprotect, wait for the volume's label, delete.
    await cluster.applyOk([{ ...claim, spec: { ...claim.spec, deletionProtection: false } }]);
    await waitForObject(
      cluster,
      { resource: 'pvc', name: 'orders-data', namespace: NS },
      (o) => o.metadata.labels['platform.example.org/deletion-protection'] === 'false',
      'relabelled',
    );
    await cluster.kubectlOk([
      '-n',
      NS,
      'delete',
      'postgresdatabase',
      'orders',
      '--wait=true',
      '--timeout=90s',
    ]);
    // Kro deletes the graph's other resources, before it lets the instance go.
    for (const [resource, name] of [
      ['secret', 'orders-credentials'],
      ['deployment', 'orders'],
      ['service', 'orders'],
    ]) {
      expect(await get(resource, name), `${resource} ${name}`).toBeUndefined();
    }
    const kept = (await get('pvc', 'orders-data')) as Manifest;
    expect(kept.metadata.uid).toBe(before.pvc.metadata.uid);

    await cluster.applyOk([claim]);
    const secret = await waitForObject(
      cluster,
      { resource: 'secret', name: 'orders-credentials', namespace: NS },
      () => true,
      're-created',
    );
    expect(secret.metadata.uid).not.toBe(before.secret.metadata.uid);
    expect(passwordOf(secret)).toBe(passwordOf(before.secret));
    const adopted = await waitForObject(
      cluster,
      { resource: 'pvc', name: 'orders-data', namespace: NS },
      (o) => o.metadata.labels['platform.example.org/deletion-protection'] === 'true',
      'protected again',
    );
    expect(adopted.metadata.uid).toBe(before.pvc.metadata.uid);
  });
});

describe(
  'bad PostgresDatabase claims, refused by the real engines',
  { timeout: CLUSTER_TEST_TIMEOUT_MS },
  () => {
    const apply = (edit: (c: Manifest) => void) => applyEdited(platform, claim, edit);

    it('refuses a name that is not a DNS label', async () => {
      const r = await apply((c) => (c.metadata.name = 'Orders_DB'));
      expect(r.stderr).toMatch(
        /metadata\.name: Invalid value: "Orders_DB": a lowercase RFC 1123 subdomain/,
      );
    });

    it('refuses a version outside the enum', async () => {
      const r = await apply((c) => {
        c.metadata.name = 'legacy';
        c.spec.version = '14';
      });
      expect(r.stderr).toMatch(
        /spec\.version: Unsupported value: "14": supported values: "15", "16", "17", "18"/,
      );
    });

    it('refuses a change of an immutable field', async () => {
      const r = await apply((c) => (c.spec.version = '17'));
      expect(r.stderr).toMatch(/spec\.version: Invalid value: "17": field is immutable/);
    });

    it('refuses a database outside a team namespace', async () => {
      const r = await apply((c) => (c.metadata.namespace = 'kube-system'));
      expect(r.stderr).toMatch(/postgresdatabases\.platform\.example\.org-team-namespaces-only/);
    });

    it('reports a shrinking storage on the instance: the API server refuses to shrink the volume', async () => {
      const { cluster } = platform;
      await waitForObject(
        cluster,
        { resource: 'pvc', name: 'orders-data', namespace: NS },
        (o) => o.status?.phase === 'Bound',
        'Bound',
        () => cluster.log('kube-controller-manager'),
      );
      expect((await apply((c) => (c.spec.storage = '10Gi'))).status).toBe(0);
      const instance = await waitForObject(
        cluster,
        { resource: 'postgresdatabase', name: 'orders', namespace: NS },
        (o) => /can not be less than/.test(JSON.stringify(o.status?.conditions ?? [])),
        'reporting the refusal',
        () => cluster.log('kro'),
      );
      expect(JSON.stringify(instance.status.conditions)).toMatch(
        /spec\.resources\.requests\.storage: Forbidden: field can not be less than status\.capacity/,
      );
      expect(((await get('pvc', 'orders-data')) as Manifest).spec.resources.requests.storage).toBe(
        claim.spec.storage,
      );
      void condition;
    });
  },
);
