/**
 * The TeamNamespace API on a real control plane (testing/platform-cluster.ts): Crossplane 2.3.4's
 * core turns the XRD of dist/platform into a served CRD; the claims of the team-namespace and
 * customer-group templates are accepted, bad ones refused, by the API server itself (the XRD's
 * schema and CEL rules); `crossplane composition render` with the real functions composes what
 * the README lists, applied by Crossplane's identity; the deletion-protection policies refuse and
 * allow deletion as the README says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Manifest } from '../../testing/cluster-addons';
import {
  CLUSTER_TEST_TIMEOUT_MS,
  composeTeamNamespace,
  condition,
  type Platform,
  SETUP_TIMEOUT_MS,
  startPlatform,
  waitForObject,
  applyEdited,
} from '../../testing/platform-cluster';
import { templateFiles } from '../../testing/template-claims';
import { DEFAULT_NAMESPACE_SIZES, QUOTA_KEYS } from './sizes';

let platform: Platform;
let teamA: Manifest;
let teamB: Manifest;

beforeAll(async () => {
  platform = await startPlatform();
  const { cluster } = platform;
  teamA = parse(
    (await templateFiles('team-namespace'))['claims/teamnamespaces/team-a.yaml'],
  ) as Manifest;
  teamB = parse(
    (await templateFiles('customer-group'))['claims/teamnamespaces/team-b.yaml'],
  ) as Manifest;
  await waitForObject(
    cluster,
    { resource: 'crd', name: 'teamnamespaces.platform.example.org' },
    (o) => condition(o, 'Established')?.status === 'True',
    'Established',
    () => cluster.log('crossplane'),
  );
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await platform?.cluster.stop();
});

const byKindName = (objects: readonly Manifest[], kind: string, name: string): Manifest => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined)
    throw new Error(
      `no ${kind} ${name} in ${objects.map((o) => `${o.kind as string}/${o.metadata.name as string}`).join(', ')}`,
    );
  return found;
};

describe('TeamNamespace on Crossplane', { timeout: CLUSTER_TEST_TIMEOUT_MS }, () => {
  it("serves the XRD as a CRD with the XRD's schema and CEL rules", async () => {
    const crd = (await platform.cluster.get(
      'crd',
      'teamnamespaces.platform.example.org',
    )) as Manifest;
    expect(crd.metadata.ownerReferences[0]).toMatchObject({ kind: 'CompositeResourceDefinition' });
    const schema = crd.spec.versions[0].schema.openAPIV3Schema as Manifest;
    expect(schema['x-kubernetes-validations']).toHaveLength(2);
    expect(schema.properties.spec.properties.size.enum).toEqual(['small', 'medium', 'large']);
  });

  it("composes the team-namespace template's claim into what the README lists, accepted as Crossplane applies it", async () => {
    const composed = await composeTeamNamespace(platform, teamA);
    const ns = byKindName(composed, 'Namespace', 'team-a');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'backstage.io/kubernetes-id': 'team-a',
      'platform.example.org/owner': 'team-a',
      'platform.example.org/deletion-protection': 'true',
    });
    expect(ns.metadata.annotations).toMatchObject({
      'platform.example.org/owner-group': 'acme-platform/customers/team-a',
    });

    const { quota } = DEFAULT_NAMESPACE_SIZES[teamA.spec.size as string];
    const quotaObject = (await platform.cluster.get(
      'resourcequota',
      'team-quota',
      'team-a',
    )) as Manifest;
    expect(quotaObject.spec.hard).toEqual({
      ...Object.fromEntries(
        Object.entries(QUOTA_KEYS).map(([k, key]) => [key, String(quota[k as keyof typeof quota])]),
      ),
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
    expect(byKindName(composed, 'LimitRange', 'team-defaults').spec.limits[0].type).toBe(
      'Container',
    );

    const owners = byKindName(composed, 'RoleBinding', 'team-owners');
    expect(owners.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'edit' });
    expect(owners.subjects).toEqual([
      {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Group',
        name: 'oidc:acme-platform/customers/team-a',
      },
    ]);
    const viewers = byKindName(composed, 'RoleBinding', 'team-viewers-0');
    expect(viewers.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'view' });
    expect(viewers.subjects[0].name).toBe('oidc:acme-platform/platform-team');
    expect(
      composed
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['allow-dns', 'allow-same-namespace', 'default-deny']);
    // The quota controller accounted the quota: objects can be created in the namespace.
    await waitForObject(
      platform.cluster,
      { resource: 'resourcequota', name: 'team-quota', namespace: 'team-a' },
      (o) => o.status?.hard !== undefined,
      'accounted',
    );
    // The XR's status, as Crossplane reports it once the namespace is observed.
    const xr = (await platform.cluster.get('teamnamespace', 'team-a')) as Manifest;
    expect(xr.status).toMatchObject({ namespace: 'team-a', deletionProtection: true });
  });

  it('refuses deletion while protected and allows it after the steps the README gives', async () => {
    const { cluster } = platform;
    await composeTeamNamespace(platform, teamB);
    const deleteXr = () => cluster.kubectl(['delete', 'teamnamespace', 'team-b', '--wait=false']);
    const deleteNs = () => cluster.kubectl(['delete', 'namespace', 'team-b', '--wait=false']);
    expect((await deleteXr()).stderr).toMatch(
      /ValidatingAdmissionPolicy 'teamnamespaces\.platform\.example\.org-protect-composites' .*denied request: TeamNamespace team-b has spec\.deletionProtection: true; set it to false, wait for status\.deletionProtection to be false, then delete/,
    );
    expect((await deleteNs()).stderr).toMatch(
      /denied request: namespace team-b is protected by TeamNamespace team-b: set its spec\.deletionProtection to false first/,
    );
    // 1. merge deletionProtection: false; the XR now asks, but its namespace is still protected.
    await cluster.applyOk([{ ...teamB, spec: { ...teamB.spec, deletionProtection: false } }]);
    expect((await deleteXr()).stderr).toMatch(
      /TeamNamespace team-b: its namespace is still protected; wait for status\.deletionProtection to be false/,
    );
    // 2. Crossplane propagates it to the namespace and the status.
    await composeTeamNamespace(platform, {
      ...teamB,
      spec: { ...teamB.spec, deletionProtection: false },
    });
    expect(
      ((await cluster.get('teamnamespace', 'team-b')) as Manifest).status.deletionProtection,
    ).toBe(false);
    // 3. the claim's removal deletes it; the namespace goes with it.
    const deleted = await deleteXr();
    expect(deleted.stderr).toBe('');
    expect((await deleteNs()).stderr).toBe('');
  });
});

describe(
  'bad TeamNamespace claims, refused by the API server',
  { timeout: CLUSTER_TEST_TIMEOUT_MS },
  () => {
    const apply = (edit: (c: Manifest) => void) => applyEdited(platform, teamA, edit);

    it("refuses a name that is not a DNS label (the XRD's CEL rule)", async () => {
      expect((await apply((c) => (c.metadata.name = 'team.a'))).stderr).toMatch(
        /metadata\.name becomes the namespace name: a DNS-1123 label of at most 63 characters/,
      );
      expect((await apply((c) => (c.metadata.name = 'Team_A'))).stderr).toMatch(
        /metadata\.name: Invalid value: "Team_A": a lowercase RFC 1123 subdomain/,
      );
    });

    it('refuses a reserved namespace name', async () => {
      expect((await apply((c) => (c.metadata.name = 'kube-team'))).stderr).toMatch(
        /metadata\.name becomes the namespace name: kube-\* and backstage, .* are reserved for Kubernetes and the platform/,
      );
    });

    it('refuses a size outside the enum and a missing owner', async () => {
      expect((await apply((c) => (c.spec.size = 'huge'))).stderr).toMatch(
        /spec\.size: Unsupported value: "huge": supported values: "small", "medium", "large"/,
      );
      expect((await apply((c) => delete c.spec.owner)).stderr).toMatch(
        /spec\.owner: Required value/,
      );
      expect((await apply((c) => (c.spec.owner = 'Acme/Team'))).stderr).toMatch(
        /spec\.owner: Invalid value: "Acme\/Team": spec\.owner in body should match/,
      );
    });
  },
);
