import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { evalCel } from '../../testing/cel';
import { parseFieldPath, schemaAt, type StructuralSchema } from '../../testing/field-path';
import { renderComposed, renderToComposite, type ResourceTemplate } from '../../testing/pt-render';
import {
  kindDeclaresField,
  objectSchema,
  validateAgainstSchema,
  validateObject,
} from '../../testing/schemas';
import { PropsError } from '../validation';
import { MAX_VIEWERS } from './schema';
import { CONTAINER_DEFAULT_PATHS, DEFAULT_NAMESPACE_SIZES, QUOTA_KEYS } from './sizes';
import { TeamNamespaceApi, type TeamNamespaceApiProps } from './team-namespace';
import { testApp } from '../../testing/cdk8s-app';

interface Synthesized {
  readonly api: TeamNamespaceApi;
  readonly objects: Record<string, any>[];
  readonly xrd: Record<string, any>;
  readonly templates: (ResourceTemplate & { readinessChecks?: unknown[] })[];
  readonly xrSchema: StructuralSchema;
}

function synth(props: TeamNamespaceApiProps = {}): Synthesized {
  const chart = new Chart(testApp(), 'test');
  const api = new TeamNamespaceApi(chart, 'TeamNamespace', props);
  const objects = Testing.synth(chart) as Record<string, any>[];
  const xrd = objects.find((o) => o.kind === 'CompositeResourceDefinition')!;
  const composition = objects.find((o) => o.kind === 'Composition')!;
  return {
    api,
    objects,
    xrd,
    templates: composition.spec.pipeline[0].input.resources,
    xrSchema: objectSchema(xrd.spec.versions[0].schema.openAPIV3Schema),
  };
}

const { api, objects, xrd, templates, xrSchema } = synth();

const xr = (spec: Record<string, unknown>, name = 'team-a'): Record<string, unknown> => ({
  apiVersion: api.apiVersion,
  kind: 'TeamNamespace',
  metadata: { name },
  spec: { size: 'small', deletionProtection: true, ...spec },
});

describe('TeamNamespaceApi', () => {
  it('defines a cluster-scoped v2 XRD with a Pipeline composition using both functions', () => {
    expect(xrd.apiVersion).toBe('apiextensions.crossplane.io/v2');
    expect(xrd.spec.scope).toBe('Cluster');
    const composition = objects.find((o) => o.kind === 'Composition')!;
    expect(composition.spec.mode).toBe('Pipeline');
    expect(composition.spec.pipeline.map((s: any) => s.functionRef.name)).toEqual([
      'function-patch-and-transform',
      'function-auto-ready',
    ]);
    expect(composition.spec.compositeTypeRef).toEqual({
      apiVersion: 'platform.example.org/v1alpha1',
      kind: 'TeamNamespace',
    });
    expect(xrd.spec.defaultCompositionRef.name).toBe(composition.metadata.name);
  });

  it('validates every object against its upstream schema', () => {
    for (const o of objects) {
      expect(validateObject(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
    }
    const input = objects.find((o) => o.kind === 'Composition')!.spec.pipeline[0].input;
    expect(validateObject(input)).toEqual([]);
  });

  it('patches only from fields the XRD declares, into fields the target kind declares', () => {
    for (const t of templates) {
      const base = t.base as { apiVersion: string; kind: string };
      for (const p of t.patches ?? []) {
        const [xrPath, composedPath] =
          p.type === 'ToCompositeFieldPath'
            ? [p.toFieldPath!, p.fromFieldPath!]
            : [p.fromFieldPath!, p.toFieldPath!];
        const where = `${t.name}: ${p.fromFieldPath} -> ${p.toFieldPath}`;
        if (!xrPath.startsWith('metadata.')) {
          expect(schemaAt(xrSchema, parseFieldPath(xrPath)), where).toBeDefined();
        }
        expect(kindDeclaresField(base.apiVersion, base.kind, composedPath), where).toBe(true);
      }
    }
  });

  it('maps every size, and only the sizes the XRD offers', () => {
    const sizes = Object.keys(DEFAULT_NAMESPACE_SIZES).sort();
    expect([...(xrSchema.properties!.spec.properties!.size.enum as string[])].sort()).toEqual(
      sizes,
    );
    const mapped: string[] = [];
    for (const t of templates) {
      for (const p of t.patches ?? []) {
        for (const tr of p.transforms ?? []) {
          if (tr.type === 'map') {
            mapped.push(`${t.name} ${p.toFieldPath}`);
            expect(Object.keys(tr.map!).sort(), `${t.name} ${p.toFieldPath}`).toEqual(sizes);
          }
        }
      }
    }
    // Every quota value and every container default is looked up from the size, and nothing else.
    expect(mapped.sort()).toEqual(
      [
        ...Object.values(QUOTA_KEYS).map((k) => `quota spec.hard[${k}]`),
        ...Object.values(CONTAINER_DEFAULT_PATHS).map((p) => `limit-range spec.limits[0].${p}`),
      ].sort(),
    );
  });

  it('grants Crossplane exactly the kinds it composes, and bind on the two roles', () => {
    const role = objects.find((o) => o.kind === 'ClusterRole')!;
    expect(role.metadata.labels['rbac.crossplane.io/aggregate-to-crossplane']).toBe('true');
    const composed = new Set(
      templates.map((t) => `${(t.base as any).apiVersion}/${(t.base as any).kind}`),
    );
    expect([...composed].sort()).toEqual([
      'networking.k8s.io/v1/NetworkPolicy',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'v1/LimitRange',
      'v1/Namespace',
      'v1/ResourceQuota',
    ]);
    // What a controller needs to own its objects: read, watch, create, update and delete them.
    const manage = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['limitranges', 'namespaces', 'resourcequotas'],
        verbs: manage,
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['networkpolicies'],
        verbs: manage,
      },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['rolebindings'],
        verbs: manage,
      },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        resourceNames: ['edit', 'view'],
        verbs: ['bind'],
      },
    ]);
    const all = JSON.stringify(role.rules);
    expect(all).not.toContain('"*"');
  });

  it('renders a minimal claim into valid, restricted, owned objects', () => {
    const claim = xr({ owner: 'acme/customers/team-a' });
    expect(validateAgainstSchema(xrSchema, claim)).toEqual([]);
    const composed = renderComposed(templates, claim);
    for (const [name, o] of composed) {
      expect(validateObject(o as any), name).toEqual([]);
    }
    expect([...composed.keys()].filter((k) => k.startsWith('viewers-'))).toEqual([]);
    const ns = composed.get('namespace')!;
    expect(ns.metadata).toMatchObject({
      name: 'team-a',
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        'backstage.io/kubernetes-id': 'team-a',
        'platform.example.org/owner': 'team-a',
        'platform.example.org/deletion-protection': 'true',
      },
      annotations: { 'platform.example.org/owner-group': 'acme/customers/team-a' },
    });
    expect(composed.get('owners')).toMatchObject({
      metadata: { name: 'team-owners', namespace: 'team-a' },
      roleRef: { kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'Group', name: 'oidc:acme/customers/team-a' }],
    });
    expect((composed.get('quota') as any).spec.hard).toMatchObject({
      'requests.cpu': '2',
      'limits.memory': '8Gi',
      pods: 20,
      'services.loadbalancers': 0,
    });
    for (const o of composed.values()) {
      if (o.kind !== 'Namespace') {
        expect((o.metadata as any).namespace).toBe('team-a');
      }
    }
  });

  it('binds each viewer group and lets explicit quota values win over the size', () => {
    const claim = xr({
      owner: 'team-a',
      viewers: ['acme/auditors', 'acme/sre'],
      size: 'large',
      quota: { pods: 7, requestsMemory: '3Gi' },
    });
    expect(validateAgainstSchema(xrSchema, claim)).toEqual([]);
    const composed = renderComposed(templates, claim);
    expect([...composed.keys()].filter((k) => k.startsWith('viewers-'))).toEqual([
      'viewers-0',
      'viewers-1',
    ]);
    expect((composed.get('viewers-1') as any).subjects[0].name).toBe('oidc:acme/sre');
    expect((composed.get('viewers-1') as any).roleRef.name).toBe('view');
    expect((composed.get('quota') as any).spec.hard).toMatchObject({
      'requests.cpu': '8',
      'requests.memory': '3Gi',
      pods: 7,
    });
    expect((composed.get('limit-range') as any).spec.limits[0]).toEqual({
      type: 'Container',
      default: { cpu: '2', memory: '2Gi' },
      defaultRequest: { cpu: '250m', memory: '512Mi' },
    });
  });

  it('reports the namespace, its phase and its protection in the XR status', () => {
    const composed = renderComposed(templates, xr({ owner: 'team-a', deletionProtection: false }));
    const observedNs = { ...composed.get('namespace'), status: { phase: 'Active' } };
    const status = renderToComposite(templates, new Map([['namespace', observedNs]]));
    expect(status).toEqual({
      status: { namespace: 'team-a', phase: 'Active', deletionProtection: false },
    });
    expect(validateAgainstSchema(xrSchema, { ...xr({ owner: 'team-a' }), ...status })).toEqual([]);
  });

  it('is ready only when the namespace is active and the quota is accounted', () => {
    const checks = Object.fromEntries(templates.map((t) => [t.name, t.readinessChecks]));
    expect(checks.namespace).toEqual([
      { type: 'MatchString', fieldPath: 'status.phase', matchString: 'Active' },
    ]);
    expect(checks.quota).toEqual([{ type: 'NonEmpty', fieldPath: 'status.hard' }]);
    for (const t of templates) {
      expect(t.readinessChecks, t.name).toBeDefined();
    }
  });

  it('rejects claims the namespace could not be made from', () => {
    const errors = (spec: Record<string, unknown>, name?: string): string[] =>
      validateAgainstSchema(xrSchema, xr(spec, name));
    expect(errors({})).toContain("/spec must have required property 'owner'");
    expect(errors({ owner: 'Acme/Team_A' }).join()).toMatch(/pattern/);
    expect(errors({ owner: 'a'.repeat(64) }).join()).toMatch(/must NOT have more than 63/);
    expect(errors({ owner: 'a', size: 'huge' }).join()).toMatch(/allowed values/);
    expect(
      errors({
        owner: 'a',
        viewers: Array.from({ length: MAX_VIEWERS + 1 }, (_, i) => `g${i}`),
      }).join(),
    ).toMatch(/more than 3 items/);
    expect(errors({ owner: 'a', quota: { requestsCpu: '-1' } }).join()).toMatch(/pattern/);
    expect(errors({ owner: 'a', quota: { cpu: '1' } }).join()).toMatch(/additional properties/);
  });

  it('limits XR names to namespace names with CEL rules the API server evaluates', () => {
    const rules = (xrSchema as any)['x-kubernetes-validations'] as { rule: string }[];
    // The API server accepts an object only when every rule holds.
    const accepts = (name: string): boolean =>
      rules.every(({ rule }) => evalCel(rule, { self: { metadata: { name } } }) === true);
    for (const good of ['team-a', 'a'.repeat(63), 'kube', 'defaults', 'backstage-team']) {
      expect(accepts(good), good).toBe(true);
    }
    for (const bad of ['a'.repeat(64), 'Team-a', 'team.a', 'team-']) {
      expect(accepts(bad), bad).toBe(false);
    }
    // Namespaces of Kubernetes and of the platform itself are never team namespaces.
    for (const reserved of [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'crossplane-system',
      'kro-system',
      'cnpg-system',
      'backstage',
      'gitlab-agent',
      'ingress-nginx',
    ]) {
      expect(accepts(reserved), reserved).toBe(false);
    }
  });

  it('uses the configured group prefix, roles and group', () => {
    const custom = synth({
      group: 'idp.acme.io',
      oidcGroupPrefix: 'gitlab:',
      ownerClusterRole: 'admin',
    });
    const composed = renderComposed(custom.templates, {
      metadata: { name: 'x' },
      spec: { owner: 'g', size: 'small', deletionProtection: true },
    });
    expect((composed.get('owners') as any).subjects[0].name).toBe('gitlab:g');
    expect((composed.get('owners') as any).roleRef.name).toBe('admin');
    expect(custom.xrd.metadata.name).toBe('teamnamespaces.idp.acme.io');
    expect((composed.get('namespace') as any).metadata.labels['idp.acme.io/owner']).toBe('g');
  });

  it('rejects invalid props with every problem named at once', () => {
    const attempt = (props: TeamNamespaceApiProps): PropsError => {
      try {
        synth(props);
      } catch (e) {
        return e as PropsError;
      }
      throw new Error('expected a PropsError');
    };
    const e = attempt({
      group: 'nodots',
      version: 'v1.0',
      defaultSize: 'xl',
      oidcGroupPrefix: '%',
    });
    expect(e).toBeInstanceOf(PropsError);
    expect(e.problems).toEqual([
      'group: "nodots" is not allowed; expected a DNS subdomain with at least one dot, such as "platform.example.org"',
      'version: "v1.0" is not allowed; expected a Kubernetes API version such as "v1alpha1"',
      'defaultSize: "xl" is not allowed; expected one of ["small","medium","large"]',
      'oidcGroupPrefix: "%" is not allowed; expected at most 32 of the characters A-Z a-z 0-9 : . _ / -',
    ]);
    expect(attempt({ sizes: {} }).problems[0]).toMatch(/^sizes: \[\] is not allowed/);
    expect(
      attempt({ sizes: { Tiny: DEFAULT_NAMESPACE_SIZES.small }, defaultSize: 'Tiny' }).problems,
    ).toEqual([
      'sizes.Tiny: "Tiny" is not allowed; expected a lowercase name of at most 20 characters',
    ]);
    const badQuota = {
      ...DEFAULT_NAMESPACE_SIZES.small,
      quota: { ...DEFAULT_NAMESPACE_SIZES.small.quota, pods: -1 },
    };
    expect(attempt({ sizes: { small: badQuota } }).problems).toEqual([
      'sizes.small.pods: -1 is not allowed; expected a non-negative quantity such as "2", "500m" or "4Gi"',
    ]);
    expect(attempt({ dnsNamespace: 'Kube_System', dnsPodLabels: {} }).problems).toEqual([
      'dnsNamespace: "Kube_System" is not allowed; expected a namespace name (a DNS-1123 label)',
      'dnsPodLabels: {} is not allowed; expected at least one label',
    ]);
    expect(attempt({ ownerClusterRole: 'Edit Role', autoReadyFunction: 'Fn' }).problems).toEqual([
      'ownerClusterRole: "Edit Role" is not allowed; expected the name of a ClusterRole (a DNS subdomain)',
      'autoReadyFunction: "Fn" is not allowed; expected the name of a Crossplane Function (a DNS-1123 label)',
    ]);
  });
});
