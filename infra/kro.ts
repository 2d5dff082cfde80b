import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import {
  addonRelease,
  restrictedContainerSecurityContext,
  restrictedNamespace,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
} from './addon';
import { ArgumentsChecker } from './arguments';

export interface KroArgs {
  /** The cluster to install into. */
  readonly provider: k8s.Provider;
  /** Version of the Kro Helm chart (validated by stacks/config.ts). */
  readonly chartVersion: string;
  /**
   * Namespace Kro runs in; the database password seed lives there too.
   * @default 'kro-system'
   */
  readonly namespace?: string;
  /**
   * Name of the Secret holding the password seed of the database API.
   * @default 'postgres-password-seed'
   */
  readonly passwordSeedSecretName?: string;
}

export const KRO_CHART = 'oci://registry.k8s.io/kro/charts/kro';

/**
 * Kro from its OCI Helm chart in `rbac.mode: aggregation`: the controller gets only the
 * ClusterRoles labelled `rbac.kro.run/aggregate-to-controller` (the platform APIs bring theirs),
 * instead of the chart's default cluster-wide wildcard. Kro 0.9.3 needs no feature gate for our
 * graphs (its gates are InstanceConditionEvents, InstanceConditionMetrics and CELOmitFunction; the
 * database volume is retained with includeWhen, see constructs/database).
 *
 * Also the password seed of the database API: 48 random bytes in a Secret only cluster admins
 * and Kro can read. Every database password derives from it, so it is protected and retained.
 */
export class Kro extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  public readonly chartVersion: pulumi.Output<string>;
  public readonly passwordSeedSecretName: pulumi.Output<string>;

  constructor(name: string, args: KroArgs, opts?: pulumi.ComponentResourceOptions) {
    new ArgumentsChecker('platform:kro:Kro', name)
      .chartVersion('chartVersion', args.chartVersion)
      .namespace('namespace', args.namespace)
      .objectName('passwordSeedSecretName', args.passwordSeedSecretName, true)
      .done();
    super('platform:kro:Kro', name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const namespace = restrictedNamespace(
      `${name}-namespace`,
      args.namespace ?? 'kro-system',
      childOpts,
    );

    this.release = addonRelease(
      `${name}-chart`,
      {
        name: 'kro',
        chart: KRO_CHART,
        version: args.chartVersion,
        namespace: namespace.metadata.name,
        values: {
          rbac: { mode: 'aggregation' },
          deployment: {
            podSecurityContext: restrictedPodSecurityContext(WORKLOAD_USERS.kro),
            securityContext: {
              ...restrictedContainerSecurityContext(WORKLOAD_USERS.kro),
              privileged: false,
            },
          },
        },
      },
      childOpts,
    );

    const seed = new random.RandomBytes(
      `${name}-password-seed`,
      { length: 48 },
      { parent: this, protect: true },
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-password-seed`,
      {
        metadata: {
          name: args.passwordSeedSecretName ?? 'postgres-password-seed',
          namespace: namespace.metadata.name,
          labels: { 'app.kubernetes.io/part-of': 'platform' },
        },
        type: 'Opaque',
        // The seed is the base64 text of the 48 bytes (as `openssl rand -base64 48` makes it by
        // hand), not the raw bytes: Kro 0.9.3 decodes a Secret's `data` (format: byte) with
        // URL-safe base64 (kube-openapi's strfmt), which fails on the `+` and `/` the API server's
        // standard base64 of raw random bytes nearly always has, and every database would stay
        // in ERROR. The standard base64 of base64 text never contains either.
        stringData: { seed: seed.base64 },
      },
      {
        ...childOpts,
        protect: true,
        retainOnDelete: true,
        additionalSecretOutputs: ['data', 'stringData'],
      },
    );
    this.namespace = namespace.metadata.name;
    this.chartVersion = this.release.version;
    this.passwordSeedSecretName = secret.metadata.name;
    this.registerOutputs({
      namespace: this.namespace,
      chartVersion: this.chartVersion,
      passwordSeedSecretName: this.passwordSeedSecretName,
    });
  }
}
