/**
 * The kubelet's and Pod Security admission's view of the workloads we author, for tests: find
 * every pod spec and every security context in a tree of objects (manifests, Kro and Crossplane
 * templates, Helm values) and report what the kubelet would refuse to start or the "restricted"
 * profile would reject. No kubelet can run here; these rules follow its checks
 * (pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot: a non-numeric image
 * user, or uid 0, fails runAsNonRoot) and the Pod Security Standards' restricted profile.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every object under `root` that `match` accepts, with its path. */
export function findObjects(
  root: unknown,
  match: (o: Json) => boolean,
  at = '',
): { path: string; object: Json }[] {
  if (Array.isArray(root)) {
    return root.flatMap((v, i) => findObjects(v, match, `${at}[${i}]`));
  }
  if (!isObject(root)) {
    return [];
  }
  const here = match(root) ? [{ path: at, object: root }] : [];
  return [
    ...here,
    ...Object.entries(root).flatMap(([k, v]) =>
      findObjects(v, match, at === '' ? k : `${at}.${k}`),
    ),
  ];
}

const isUid = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Security contexts that ask for `runAsNonRoot: true` without a numeric, non-zero `runAsUser`
 * of their own. The kubelet would fall back to the image's user, which for the function images
 * is a name it cannot verify; so we always name the user where we ask for non-root.
 */
export function nonRootWithoutUser(root: unknown): string[] {
  return findObjects(root, (o) => o.runAsNonRoot === true)
    .filter(({ object }) => !isUid(object.runAsUser))
    .map(({ path }) => `${path}: runAsNonRoot without a numeric runAsUser`);
}

/** Pod specs: objects with a `containers` list. */
export const podSpecs = (root: unknown): { path: string; object: Json }[] =>
  findObjects(root, (o) => Array.isArray(o.containers));

/**
 * What a pod spec lacks for the restricted profile, the kubelet's non-root check, and our own
 * rules for every workload (requests and limits, readiness and liveness probes).
 */
export function podSpecProblems(pod: Json, at: string): string[] {
  const problems: string[] = [];
  const podContext = isObject(pod.securityContext) ? pod.securityContext : {};
  const containers = [
    ...((pod.initContainers as Json[] | undefined) ?? []).map((c) => ({ c, init: true })),
    ...(pod.containers as Json[]).map((c) => ({ c, init: false })),
  ];
  for (const { c, init } of containers) {
    const where = `${at} container ${String(c.name)}`;
    const own = isObject(c.securityContext) ? c.securityContext : {};
    const effective = (key: string): unknown => own[key] ?? podContext[key];
    if (effective('runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if (!isUid(effective('runAsUser'))) problems.push(`${where}: no numeric non-root runAsUser`);
    if (own.allowPrivilegeEscalation !== false) {
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    }
    const drop = (own.capabilities as { drop?: unknown[] } | undefined)?.drop ?? [];
    if (!drop.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    const seccomp = (effective('seccompProfile') as { type?: string } | undefined)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      problems.push(`${where}: no RuntimeDefault or Localhost seccomp profile`);
    }
    const resources = (c.resources ?? {}) as { requests?: Json; limits?: Json };
    for (const side of ['requests', 'limits'] as const) {
      for (const key of ['cpu', 'memory']) {
        if (resources[side]?.[key] === undefined) problems.push(`${where}: no ${side}.${key}`);
      }
    }
    if (!init) {
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        if (!isObject(c[probe])) problems.push(`${where}: no ${probe}`);
      }
    }
  }
  return problems;
}
