/**
 * What the portal may read and who may reach it, computed from typed arguments: the Kubernetes
 * plugin's read-only ClusterRole and its binding to the portal's ServiceAccount, and the
 * NetworkPolicy of the portal's pods. Pure (the Pulumi SDK only as types), like backstage-spec.ts.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { rulesForResources, type GroupResource } from '../constructs/rbac';
import { BACKEND_PORT, PORTAL_LABELS, SERVICE_ACCOUNT } from './backstage-spec';

type In<T> = pulumi.Input<T>;

/** The kinds the Kubernetes plugin reads by default, as `group/resource` (core group: ''). */
export const KUBERNETES_PLUGIN_CORE_RESOURCES: readonly GroupResource[] = [
  { group: '', resource: 'pods' },
  { group: '', resource: 'services' },
  { group: '', resource: 'configmaps' },
  { group: '', resource: 'limitranges' },
  { group: '', resource: 'resourcequotas' },
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'replicasets' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { group: 'batch', resource: 'jobs' },
  { group: 'batch', resource: 'cronjobs' },
  { group: 'networking.k8s.io', resource: 'ingresses' },
];

export const KUBERNETES_READER = 'platform:backstage:kubernetes-reader';

/** Read-only access to the kinds the Kubernetes plugin shows: its defaults and `customResources`. */
export function kubernetesReaderRole(
  customResources: readonly GroupResource[],
): k8s.rbac.v1.ClusterRoleArgs {
  return {
    metadata: { name: KUBERNETES_READER, labels: { ...PORTAL_LABELS } },
    rules: rulesForResources(
      [...KUBERNETES_PLUGIN_CORE_RESOURCES, ...customResources],
      ['get', 'list', 'watch'],
    ),
  };
}

/** The role above, for the portal's ServiceAccount. */
export function kubernetesReaderBinding(
  roleName: In<string>,
  namespace: In<string>,
): k8s.rbac.v1.ClusterRoleBindingArgs {
  return {
    metadata: { name: KUBERNETES_READER, labels: { ...PORTAL_LABELS } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace }],
  };
}

/**
 * Traffic of the portal's pods: in, only from the ingress controller to the backend's port; out,
 * DNS, the portal's database, and HTTPS anywhere (GitLab, the Kubernetes API, object storage).
 * The chart's own policy covers ingress only.
 */
export function portalNetworkPolicy(o: {
  namespace: In<string>;
  /** The CloudNativePG cluster of the portal's database (its pods' `cnpg.io/cluster` label). */
  databaseCluster: string;
  /**
   * Namespace of the ingress controller, the only source of traffic to the portal.
   * @default 'ingress-nginx'
   */
  ingressNamespace?: string;
}): k8s.networking.v1.NetworkPolicyArgs {
  return {
    metadata: { name: 'backstage', namespace: o.namespace, labels: { ...PORTAL_LABELS } },
    spec: {
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'backstage',
          'app.kubernetes.io/component': 'backstage',
        },
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: {
                  'kubernetes.io/metadata.name': o.ingressNamespace ?? 'ingress-nginx',
                },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: BACKEND_PORT }],
        },
      ],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        {
          to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': o.databaseCluster } } }],
          ports: [{ protocol: 'TCP', port: 5432 }],
        },
        {
          ports: [
            { protocol: 'TCP', port: 443 },
            { protocol: 'TCP', port: 6443 },
          ],
        },
      ],
    },
  };
}
