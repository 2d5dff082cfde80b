import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** A Kubernetes object as the cdk8s charts synthesize it. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** The objects of one chart and what must exist before they are applied. */
export interface ChartObjects {
  readonly objects: readonly ManifestObject[];
  /**
   * Resources that must be ready first: the controller whose CRDs the objects use (a custom
   * resource applied before its CRD fails with "no matches for kind"), or charts they build on.
   */
  readonly dependsOn: readonly pulumi.Resource[];
  /**
   * Charts of the same component whose objects must be applied first (listed earlier).
   * @default []
   */
  readonly after?: readonly string[];
}

export interface PlatformApisArgs {
  /** The cluster to apply to. */
  readonly provider: k8s.Provider;
  /** The synthesized charts, by chart name (the same objects `npm run synth` writes to dist/). */
  readonly charts: Readonly<Record<string, ChartObjects>>;
}

/**
 * The platform APIs, applied from the same cdk8s charts that `npm run synth` writes to
 * dist/platform/, one Kubernetes resource per object so that plans and diffs name each one.
 */
export class PlatformApis extends pulumi.ComponentResource {
  /** The applied objects per chart, for later charts to depend on. */
  public readonly resources: Readonly<Record<string, readonly pulumi.CustomResource[]>>;

  constructor(name: string, args: PlatformApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('platform:apis:PlatformApis', name, {}, opts);
    const resources: Record<string, pulumi.CustomResource[]> = {};
    for (const [chart, { objects, dependsOn, after }] of Object.entries(args.charts)) {
      const earlier = (after ?? []).flatMap((other) => {
        const applied = resources[other];
        if (applied === undefined) {
          throw new Error(
            `chart ${chart} is to be applied after ${other}, which is not listed before it`,
          );
        }
        return applied;
      });
      resources[chart] = objects.map((object) => {
        const { apiVersion, kind, metadata, ...body } = object;
        const id = [chart, kind, metadata.namespace, metadata.name]
          .filter(Boolean)
          .join('-')
          .toLowerCase();
        return new k8s.apiextensions.CustomResource(
          `${name}-${id}`,
          { apiVersion, kind, metadata: { ...metadata }, ...body },
          { parent: this, provider: args.provider, dependsOn: [...dependsOn, ...earlier] },
        );
      });
    }
    this.resources = resources;
    this.registerOutputs({});
  }
}
