/**
 * RBAC rules derived from the kinds a controller manages, so that the ClusterRoles we aggregate
 * into Crossplane and Kro grant exactly what the compositions and graphs create: no wildcards,
 * and a new kind cannot be composed without its rule.
 */
import type { k8s } from 'cdk8s-plus-29';

export interface TypeRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Resource names of the kinds our platform APIs manage. Extend it when composing a new kind. */
const RESOURCE_NAMES: Readonly<Record<string, string>> = {
  'v1/Namespace': 'namespaces',
  'v1/ResourceQuota': 'resourcequotas',
  'v1/LimitRange': 'limitranges',
  'v1/Secret': 'secrets',
  'v1/Service': 'services',
  'v1/PersistentVolumeClaim': 'persistentvolumeclaims',
  'apps/v1/Deployment': 'deployments',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rolebindings',
  'networking.k8s.io/v1/NetworkPolicy': 'networkpolicies',
};

/** The verbs a controller needs to own objects of a kind (create, track, update, delete). */
export const MANAGE_VERBS: readonly string[] = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
];

/** The API group of an apiVersion (`''` for the core group). */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
}

/** The resource name (plural) of a kind, or an error naming the table to extend. */
export function resourceNameOf(type: TypeRef): string {
  const name = RESOURCE_NAMES[`${type.apiVersion}/${type.kind}`];
  if (name === undefined) {
    throw new Error(
      `no RBAC resource name known for ${type.apiVersion} ${type.kind}; add it to RESOURCE_NAMES in constructs/rbac.ts`,
    );
  }
  return name;
}

/** A resource of an API group (`''` for the core group), as RBAC rules name it. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/**
 * One rule per API group, granting `verbs` on exactly `resources`; sorted, so that the output does
 * not depend on the order they were listed in.
 */
export function rulesForResources(
  resources: readonly GroupResource[],
  verbs: readonly string[],
): k8s.PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const { group, resource } of resources) {
    byGroup.set(group, (byGroup.get(group) ?? new Set<string>()).add(resource));
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, set]) => ({ apiGroups: [group], resources: [...set].sort(), verbs: [...verbs] }));
}

/** One rule per API group, granting `verbs` on the resources of the kinds `types`. */
export function rulesFor(types: readonly TypeRef[], verbs: readonly string[]): k8s.PolicyRule[] {
  return rulesForResources(
    types.map((t) => ({ group: apiGroupOf(t.apiVersion), resource: resourceNameOf(t) })),
    verbs,
  );
}
