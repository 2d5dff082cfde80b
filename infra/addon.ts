import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { RESTRICTED_NAMESPACE_LABELS } from '../constructs/pod-security';

export {
  RESTRICTED_NAMESPACE_LABELS,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
} from '../constructs/pod-security';

export interface AddonReleaseArgs {
  /** Release name. */
  readonly name: string;
  /** Chart name in `repo`, or an `oci://` reference. */
  readonly chart: string;
  readonly version: string;
  /** Helm repository URL; none for OCI charts. */
  readonly repo?: string;
  readonly namespace: pulumi.Input<string>;
  readonly values: pulumi.Input<Record<string, unknown>>;
}

/**
 * The Helm release of a platform add-on. It waits for the workloads to be ready (so that what
 * depends on it is applied only then) and rolls a failed upgrade back instead of leaving the
 * add-on half-upgraded.
 */
export function addonRelease(
  name: string,
  args: AddonReleaseArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    name,
    {
      name: args.name,
      chart: args.chart,
      version: args.version,
      ...(args.repo !== undefined ? { repositoryOpts: { repo: args.repo } } : {}),
      namespace: args.namespace,
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
      values: args.values,
    },
    opts,
  );
}

/** A namespace for a platform add-on, under the "restricted" profile. */
export function restrictedNamespace(
  name: string,
  namespace: string,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    name,
    {
      metadata: {
        name: namespace,
        labels: { ...RESTRICTED_NAMESPACE_LABELS, 'app.kubernetes.io/part-of': 'platform' },
      },
    },
    opts,
  );
}
