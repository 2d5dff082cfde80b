/**
 * The Pod Security Standards "restricted" profile, as the labels and security contexts every
 * namespace and workload of the platform uses: the cdk8s constructs and the Pulumi components
 * share these so that there is one definition to review.
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

/** The container security context of every container we author. */
export const RESTRICTED_CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** The pod security context of every pod we author (add a user id where the image needs one). */
export const RESTRICTED_POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;
