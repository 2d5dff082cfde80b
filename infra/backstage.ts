import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { GroupResource } from '../constructs/rbac';
import { addonRelease } from './addon';
import { ArgumentsChecker } from './arguments';
import {
  BACKSTAGE_CHART_REPOSITORY,
  configLayerConfigMap,
  configLayerFiles,
  configMapName,
  externalAccessSecret,
  portalEnvConfigMap,
  techdocsVolumeClaim,
  type ConfigLayerFile,
  type PortalGitlab,
} from './backstage-spec';
import {
  kubernetesReaderBinding,
  kubernetesReaderRole,
  portalNetworkPolicy,
} from './backstage-policy';
import { backstageValues, type BackstageValuesArgs } from './backstage-values';

export interface BackstageArgs extends Pick<
  BackstageValuesArgs,
  | 'imageRepository'
  | 'imageTag'
  | 'host'
  | 'ingressClassName'
  | 'tlsSecretName'
  | 'tlsClusterIssuer'
  | 'techdocs'
> {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly chartVersion: string;
  /** The portal's title (`app.title`: the sign-in page, the browser's tab), for this stack. */
  readonly portalTitle: string;
  /** The organization's name (`organization.name`: the catalog's title, the API explorer's). */
  readonly organizationName: string;
  /**
   * The config layers of backstage-config/ (APP_CONFIG_LAYERS, read by the stack), in the order
   * the backend reads them; the stack's own layer comes last.
   */
  readonly configLayers: readonly ConfigLayerFile[];
  /** The portal's database: read-write host and the basic-auth Secret of its owner role. */
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly secretName: pulumi.Input<string>;
    /** Database name. */
    readonly name: string;
    /** CloudNativePG cluster name (its pods carry the `cnpg.io/cluster` label). */
    readonly cluster: string;
  };
  /** The platform's own kinds the Kubernetes plugin shows (custom resources), read-only. */
  readonly customResources: readonly GroupResource[];
  /**
   * Namespace of the ingress controller, the only source of traffic to the portal.
   * @default 'ingress-nginx'
   */
  readonly ingressNamespace?: string;
  /** The GitLab instance and the Secrets with the portal's GitLab credentials. */
  readonly gitlab: PortalGitlab & {
    readonly oauthSecretName: pulumi.Input<string>;
    readonly readTokenSecretName: pulumi.Input<string>;
    /** The Secret with the scaffolder's token for merge requests on the claims project. */
    readonly scaffolderTokenSecretName: pulumi.Input<string>;
    /** The Secret with the token of GitLab's webhook deliveries to the events backend. */
    readonly webhookSecretName: pulumi.Input<string>;
    /** Changes on rotation; as a pod annotation it restarts the portal with the new tokens. */
    readonly tokensCreatedAt: pulumi.Input<string>;
  };
  /** Group entity refs with full access (the platform team). */
  readonly adminGroups: readonly string[];
  /** What must exist first (the database). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The portal's arguments, checked before it declares anything. */
export function checkBackstageArgs(name: string, args: BackstageArgs): void {
  const check = new ArgumentsChecker('platform:backstage:Backstage', name)
    .imageRepository('imageRepository', args.imageRepository)
    .imageTag('imageTag', args.imageTag)
    .host('host', args.host)
    .objectName('ingressClassName', args.ingressClassName)
    .objectName('tlsSecretName', args.tlsSecretName)
    .objectName('tlsClusterIssuer', args.tlsClusterIssuer, true)
    .chartVersion('chartVersion', args.chartVersion)
    .namespace('namespace', args.namespace)
    .expect(
      /^[a-z_][a-z0-9_]{0,62}$/.test(args.database.name),
      'database.name',
      args.database.name,
      'a PostgreSQL database name such as "backstage"',
    )
    .dnsLabel('database.cluster', args.database.cluster, 'portal-db')
    .groupResources('customResources', args.customResources, false)
    .namespace('ingressNamespace', args.ingressNamespace)
    .httpsUrl('gitlab.url', args.gitlab.url)
    .groupPath('gitlab.platformGroup', args.gitlab.platformGroup)
    .groupPath('gitlab.customersGroup', args.gitlab.customersGroup)
    .dnsLabel('gitlab.claimsProject', args.gitlab.claimsProject, 'claims')
    .groupRefs('adminGroups', args.adminGroups);
  if (args.techdocs.bucket === undefined)
    check.giSize('techdocs.volumeSize', args.techdocs.volumeSize);
  check.done();
}

/**
 * The portal: the Backstage Helm chart with the app-config layers mounted from ConfigMaps, every
 * credential as an environment variable from a Secret, a dedicated ServiceAccount with a
 * read-only ClusterRole for the Kubernetes plugin, TLS ingress, and a NetworkPolicy that admits
 * only the ingress controller. What each resource holds is computed by pure functions
 * (backstage-spec.ts, backstage-policy.ts, backstage-values.ts); this declares the resources and
 * wires their names together.
 */
export class Backstage extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: BackstageArgs, opts?: pulumi.ComponentResourceOptions) {
    checkBackstageArgs(name, args);
    super('platform:backstage:Backstage', name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };

    const layers = configLayerFiles(args).map((layer) => ({
      file: layer.file,
      configMap: new k8s.core.v1.ConfigMap(
        `${name}-${configMapName(layer.file)}`,
        configLayerConfigMap(layer, args.namespace),
        childOpts,
      ),
    }));
    const externalToken = new random.RandomPassword(
      `${name}-external-access-token`,
      { length: 48, special: false },
      { parent: this },
    );
    const externalSecret = new k8s.core.v1.Secret(
      `${name}-external-access`,
      externalAccessSecret(args.namespace, externalToken.result),
      childOpts,
    );
    const claim = techdocsVolumeClaim(args.namespace, args.techdocs);
    const techdocsVolume =
      claim !== undefined
        ? new k8s.core.v1.PersistentVolumeClaim(`${name}-techdocs`, claim, childOpts)
        : undefined;
    const env = new k8s.core.v1.ConfigMap(`${name}-env`, portalEnvConfigMap(args), childOpts);

    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-kubernetes-reader`,
      kubernetesReaderRole(args.customResources),
      childOpts,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-kubernetes-reader`,
      kubernetesReaderBinding(role.metadata.name, args.namespace),
      childOpts,
    );

    const values = backstageValues(
      { ...args, databaseSecretName: args.database.secretName },
      {
        layers: layers.map((l) => ({ file: l.file, configMap: l.configMap.metadata.name })),
        envConfigMap: env.metadata.name,
        externalAccessSecret: externalSecret.metadata.name,
        ...(techdocsVolume !== undefined ? { techdocsClaim: techdocsVolume.metadata.name } : {}),
      },
    );
    const release = addonRelease(
      `${name}-chart`,
      {
        name: 'backstage',
        chart: 'backstage',
        version: args.chartVersion,
        repo: BACKSTAGE_CHART_REPOSITORY,
        namespace: args.namespace,
        values: pulumi.output(values),
      },
      {
        ...childOpts,
        dependsOn: [
          ...(args.dependsOn ?? []),
          ...layers.map((l) => l.configMap),
          env,
          externalSecret,
          ...(techdocsVolume !== undefined ? [techdocsVolume] : []),
        ],
      },
    );

    new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      portalNetworkPolicy({
        namespace: args.namespace,
        databaseCluster: args.database.cluster,
        ...(args.ingressNamespace !== undefined ? { ingressNamespace: args.ingressNamespace } : {}),
      }),
      childOpts,
    );

    this.url = pulumi.output(`https://${args.host}`);
    this.chartVersion = release.version;
    this.registerOutputs({ url: this.url, chartVersion: this.chartVersion });
  }
}
