/**
 * The composed resources of a TeamNamespace, as function-patch-and-transform resource templates.
 * Bases are built with the typed Kubernetes classes of cdk8s-plus-29, patches with the typed
 * P&T input; the tests check every patch's paths against the XRD and the target kind's schema.
 */
import { k8s } from 'cdk8s-plus-29';
import {
  convert,
  format,
  fromXr,
  lookup,
  READY_WHEN_EXISTS,
  readyWhenSet,
  readyWhenString,
  regexpGroup,
  toXr,
  type Patch,
} from '../crossplane/patches';
import { RESTRICTED_NAMESPACE_LABELS } from '../pod-security';
import type { ResourcesResources as ResourceTemplate } from '../imports/crossplane-pt-pt.fn.crossplane.io';
import { MAX_VIEWERS } from './schema';
import {
  CONTAINER_DEFAULT_PATHS,
  QUOTA_KEYS,
  type ContainerDefaults,
  type NamespaceSize,
  type QuotaLimits,
} from './sizes';
import { manifest } from '../manifest';

export interface TeamNamespaceCompositionOptions {
  /** API group of the XR; also the prefix of the labels and annotations it sets. */
  readonly group: string;
  readonly sizes: Readonly<Record<string, NamespaceSize>>;
  /** Prepended to GitLab group paths to form the Kubernetes group names the API server sees. */
  readonly oidcGroupPrefix: string;
  readonly ownerClusterRole: string;
  readonly viewerClusterRole: string;
  readonly dnsNamespace: string;
  readonly dnsPodLabels: Readonly<Record<string, string>>;
}

/** Labels and annotations the composition sets, named after the XR's API group. */
export function teamNamespaceKeys(group: string): {
  readonly ownerLabel: string;
  readonly ownerGroupAnnotation: string;
  readonly deletionProtectionLabel: string;
} {
  return {
    ownerLabel: `${group}/owner`,
    ownerGroupAnnotation: `${group}/owner-group`,
    deletionProtectionLabel: `${group}/deletion-protection`,
  };
}

/** The label Backstage's Kubernetes plugin selects an entity's objects by. */
export const BACKSTAGE_KUBERNETES_ID = 'backstage.io/kubernetes-id';

/** Every namespaced composed resource lives in the namespace named after the XR. */
const IN_TEAM_NAMESPACE: Patch = fromXr('metadata.name', 'metadata.namespace');

function sizeLookup<T>(
  sizes: Readonly<Record<string, NamespaceSize>>,
  pick: (size: NamespaceSize) => T,
): Record<string, T> {
  return Object.fromEntries(Object.entries(sizes).map(([name, size]) => [name, pick(size)]));
}

function namespaceTemplate(o: TeamNamespaceCompositionOptions): ResourceTemplate {
  const keys = teamNamespaceKeys(o.group);
  return {
    name: 'namespace',
    base: manifest(
      k8s.KubeNamespace.manifest({
        metadata: {
          labels: { ...RESTRICTED_NAMESPACE_LABELS, 'app.kubernetes.io/managed-by': 'crossplane' },
        },
      }),
    ),
    patches: [
      fromXr('metadata.name', 'metadata.name'),
      fromXr('metadata.name', `metadata.labels[${BACKSTAGE_KUBERNETES_ID}]`),
      // Label values cannot hold '/': the label carries the group's own path segment, the
      // annotation the full path.
      fromXr('spec.owner', `metadata.labels[${keys.ownerLabel}]`, {
        transforms: [regexpGroup('^(?:.*/)?([^/]+)$', 1)],
      }),
      fromXr('spec.owner', `metadata.annotations[${keys.ownerGroupAnnotation}]`),
      fromXr('spec.deletionProtection', `metadata.labels[${keys.deletionProtectionLabel}]`, {
        transforms: [convert('string')],
      }),
      toXr('metadata.name', 'status.namespace'),
      toXr('status.phase', 'status.phase'),
      toXr(`metadata.labels[${keys.deletionProtectionLabel}]`, 'status.deletionProtection', [
        convert('bool'),
      ]),
    ],
    readinessChecks: [readyWhenString('status.phase', 'Active')],
  };
}

function quotaTemplate(o: TeamNamespaceCompositionOptions): ResourceTemplate {
  const patches: Patch[] = [IN_TEAM_NAMESPACE];
  for (const [key, quotaKey] of Object.entries(QUOTA_KEYS) as [keyof QuotaLimits, string][]) {
    const to = `spec.hard[${quotaKey}]`;
    patches.push(
      fromXr('spec.size', to, { transforms: [lookup(sizeLookup(o.sizes, (s) => s.quota[key]))] }),
    );
    // Applied after the size, so an explicit value wins.
    patches.push(fromXr(`spec.quota.${key}`, to));
  }
  return {
    name: 'quota',
    base: manifest(
      k8s.KubeResourceQuota.manifest({
        metadata: { name: 'team-quota' },
        spec: {
          // Load balancers and node ports expose a namespace outside the cluster's ingress; teams
          // ask the platform team for them.
          hard: {
            'services.loadbalancers': k8s.Quantity.fromNumber(0),
            'services.nodeports': k8s.Quantity.fromNumber(0),
          },
        },
      }),
    ),
    patches,
    // The quota controller fills status.hard once it has accounted the namespace.
    readinessChecks: [readyWhenSet('status.hard')],
  };
}

function limitRangeTemplate(o: TeamNamespaceCompositionOptions): ResourceTemplate {
  const patches: Patch[] = [IN_TEAM_NAMESPACE];
  for (const [key, path] of Object.entries(CONTAINER_DEFAULT_PATHS) as [
    keyof ContainerDefaults,
    string,
  ][]) {
    patches.push(
      fromXr('spec.size', `spec.limits[0].${path}`, {
        transforms: [lookup(sizeLookup(o.sizes, (s) => s.containerDefaults[key]))],
      }),
    );
  }
  return {
    name: 'limit-range',
    base: manifest(
      k8s.KubeLimitRange.manifest({
        metadata: { name: 'team-defaults' },
        spec: { limits: [{ type: 'Container' }] },
      }),
    ),
    patches,
    readinessChecks: [READY_WHEN_EXISTS],
  };
}

function groupBinding(
  o: TeamNamespaceCompositionOptions,
  templateName: string,
  bindingName: string,
  clusterRole: string,
  fromField: string,
  required: boolean,
): ResourceTemplate {
  return {
    name: templateName,
    base: manifest(
      k8s.KubeRoleBinding.manifest({
        metadata: { name: bindingName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: '' }],
      }),
    ),
    patches: [
      IN_TEAM_NAMESPACE,
      fromXr(fromField, 'subjects[0].name', {
        transforms: [format(`${o.oidcGroupPrefix}%s`)],
        required,
      }),
    ],
    readinessChecks: [READY_WHEN_EXISTS],
  };
}

function networkPolicyTemplates(o: TeamNamespaceCompositionOptions): ResourceTemplate[] {
  const policy = (name: string, spec: k8s.NetworkPolicySpec): ResourceTemplate => ({
    name: `network-policy-${name}`,
    base: manifest(k8s.KubeNetworkPolicy.manifest({ metadata: { name }, spec })),
    patches: [IN_TEAM_NAMESPACE],
    readinessChecks: [READY_WHEN_EXISTS],
  });
  return [
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('allow-same-namespace', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    }),
    policy('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': o.dnsNamespace },
              },
              podSelector: { matchLabels: { ...o.dnsPodLabels } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    }),
  ];
}

/** All resource templates, in the order Crossplane should see them. */
export function teamNamespaceResources(o: TeamNamespaceCompositionOptions): ResourceTemplate[] {
  const viewers = Array.from({ length: MAX_VIEWERS }, (_, i) =>
    // A missing viewer makes the required patch fail, so P&T skips that binding.
    groupBinding(
      o,
      `viewers-${i}`,
      `team-viewers-${i}`,
      o.viewerClusterRole,
      `spec.viewers[${i}]`,
      true,
    ),
  );
  return [
    namespaceTemplate(o),
    quotaTemplate(o),
    limitRangeTemplate(o),
    groupBinding(o, 'owners', 'team-owners', o.ownerClusterRole, 'spec.owner', true),
    ...viewers,
    ...networkPolicyTemplates(o),
  ];
}
