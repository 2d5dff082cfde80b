import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  restrictedNamespace,
  addonRelease,
  WORKLOAD_USERS,
} from './addon';
import { ArgumentsChecker } from './arguments';

export interface CrossplaneArgs {
  /** The cluster to install into. */
  readonly provider: k8s.Provider;
  /** Version of the `crossplane` Helm chart (validated by stacks/config.ts). */
  readonly chartVersion: string;
  /**
   * Namespace Crossplane runs in.
   * @default 'crossplane-system'
   */
  readonly namespace?: string;
}

export const CROSSPLANE_CHART_REPOSITORY = 'https://charts.crossplane.io/stable';

/**
 * Crossplane from its Helm chart, with the Pod Security "restricted" profile enforced on its
 * namespace. The release waits for its workloads to be ready, so everything that depends on it
 * (the composition functions and the platform APIs) is applied only once Crossplane and its CRDs
 * are in place.
 */
export class Crossplane extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  public readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: CrossplaneArgs, opts?: pulumi.ComponentResourceOptions) {
    new ArgumentsChecker('platform:crossplane:Crossplane', name)
      .chartVersion('chartVersion', args.chartVersion)
      .namespace('namespace', args.namespace)
      .done();
    super('platform:crossplane:Crossplane', name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const namespace = restrictedNamespace(
      `${name}-namespace`,
      args.namespace ?? 'crossplane-system',
      childOpts,
    );
    const securityContext = restrictedContainerSecurityContext(WORKLOAD_USERS.crossplane);
    const podSecurityContext = restrictedPodSecurityContext(WORKLOAD_USERS.crossplane);

    this.release = addonRelease(
      `${name}-chart`,
      {
        name: 'crossplane',
        chart: 'crossplane',
        version: args.chartVersion,
        repo: CROSSPLANE_CHART_REPOSITORY,
        namespace: namespace.metadata.name,
        values: {
          podSecurityContextCrossplane: podSecurityContext,
          podSecurityContextRBACManager: podSecurityContext,
          securityContextCrossplane: securityContext,
          securityContextRBACManager: securityContext,
          resourcesCrossplane: {
            requests: { cpu: '100m', memory: '256Mi' },
            limits: { cpu: '1', memory: '1Gi' },
          },
          resourcesRBACManager: {
            requests: { cpu: '50m', memory: '128Mi' },
            limits: { cpu: '200m', memory: '512Mi' },
          },
          metrics: { enabled: true },
        },
      },
      childOpts,
    );
    this.namespace = namespace.metadata.name;
    this.chartVersion = this.release.version;
    this.registerOutputs({ namespace: this.namespace, chartVersion: this.chartVersion });
  }
}
