/**
 * The Pod Security Standards "restricted" profile, as the labels and security contexts every
 * namespace and workload of the platform uses: the cdk8s constructs and the Pulumi components
 * share these so that there is one definition to review.
 *
 * Every security context that asks for `runAsNonRoot` also names a numeric user: the kubelet
 * can only verify "non-root" against a numeric user id, and refuses to start a container whose
 * image names its user ("image has non-numeric user (nonroot), cannot verify user is
 * non-root"). Naming it here does not depend on how an image was built.
 */

/** Namespace labels that enforce, audit and warn about the "restricted" profile. */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
};

/** The numeric user and group a workload's processes run as. */
export interface RunAs {
  readonly user: number;
  readonly group: number;
}

/**
 * The user each workload we deploy runs as, with where the number comes from. Changing an image
 * (versions.ts) means checking its entry here.
 */
export const WORKLOAD_USERS = {
  /**
   * Composition functions: Crossplane's own default for package runtimes (RunAsUser/RunAsGroup
   * 2000 in internal/controller/pkg/runtime/runtime.go, v2.3.4), which it applies only when the
   * DeploymentRuntimeConfig sets no security context. The function images say `USER
   * nonroot:nonroot` (a name) and hold one static binary that any user can run.
   */
  crossplaneFunction: { user: 2000, group: 2000 },
  /** Crossplane and its RBAC manager: the chart's default user (distroless `nonroot`, 65532). */
  crossplane: { user: 65532, group: 65532 },
  /** The Kro controller: the user the Kro 0.9.3 chart sets (`deployment.securityContext`). */
  kro: { user: 1000, group: 1000 },
  /** agentk: distroless `nonroot`, the user GitLab's own agentk manifests run it as. */
  gitlabAgent: { user: 65532, group: 65532 },
  /** The portal: the `node` user of the node image, `USER 1000:1000` in its Dockerfile. */
  portal: { user: 1000, group: 1000 },
  /** PostgreSQL: the `postgres` user of the official Debian-based images. */
  postgres: { user: 999, group: 999 },
} as const satisfies Record<string, RunAs>;

/** A container security context under the "restricted" profile. */
export interface RestrictedContainerSecurityContext {
  readonly allowPrivilegeEscalation: false;
  readonly capabilities: { readonly drop: string[] };
  readonly readOnlyRootFilesystem: true;
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/** A pod security context under the "restricted" profile. */
export interface RestrictedPodSecurityContext {
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/** The container security context of every container we author. */
export function restrictedContainerSecurityContext(
  runAs: RunAs,
): RestrictedContainerSecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: runAs.group,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The pod security context of every pod we author. */
export function restrictedPodSecurityContext(runAs: RunAs): RestrictedPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: runAs.group,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
