import * as fs from 'node:fs';
import * as path from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { stringify } from 'yaml';
import { rulesForResources, type GroupResource } from '../constructs/rbac';
import { BACKSTAGE_CONFIG_DIR } from './backstage-config';
import { OAUTH_SECRET, READ_TOKEN_SECRET, SCAFFOLDER_TOKEN_SECRET } from './gitlab/gitlab';
import {
  addonRelease,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
} from './addon';

export const BACKSTAGE_CHART_REPOSITORY = 'https://backstage.github.io/charts';
/** The app-config layers of backstage-config/, in the order the backend reads them. */
export const APP_CONFIG_LAYERS = ['app-config.yaml', 'app-config.production.yaml'] as const;
/** The layer the stack generates (TechDocs storage, permission data), read last. */
export const STACK_CONFIG_LAYER = 'app-config.stack.yaml';
/** Where TechDocs are stored in the pod when no bucket is configured. */
export const TECHDOCS_LOCAL_DIR = '/techdocs';
/** The Secret with the external-access token (for CI and scripts), and its key. */
export const EXTERNAL_ACCESS_SECRET = {
  name: 'portal-external-access',
  key: 'BACKEND_EXTERNAL_ACCESS_TOKEN',
} as const;

/** Where TechDocs live: an S3-compatible bucket CI publishes to, or a volume of the portal. */
export interface TechdocsStorage {
  readonly bucket?: {
    readonly name: string;
    readonly region: string;
    readonly endpoint?: string;
    /** Secret with TECHDOCS_ACCESS_KEY_ID and TECHDOCS_SECRET_ACCESS_KEY. */
    readonly credentialsSecret: string;
  };
  /** Size of the volume, without a bucket. */
  readonly volumeSize: string;
}

/**
 * The stack's own config layer: what differs per stack and is not a plain value. TechDocs: with
 * a bucket, CI builds and publishes (builder external, publisher awsS3); without, the portal
 * builds with mkdocs in its image (no Docker) and stores on its volume. Permissions: the groups
 * with full access, from the GitLab group tree (see the permission policy in backstage-config/).
 */
export function stackConfigLayer(o: {
  techdocs: TechdocsStorage;
  adminGroups: readonly string[];
}): Record<string, unknown> {
  const bucket = o.techdocs.bucket;
  return {
    techdocs:
      bucket !== undefined
        ? {
            builder: 'external',
            publisher: {
              type: 'awsS3',
              awsS3: {
                bucketName: bucket.name,
                region: bucket.region,
                ...(bucket.endpoint !== undefined
                  ? { endpoint: bucket.endpoint, s3ForcePathStyle: true }
                  : {}),
                credentials: {
                  accessKeyId: '${TECHDOCS_ACCESS_KEY_ID}',
                  secretAccessKey: '${TECHDOCS_SECRET_ACCESS_KEY}',
                },
              },
            },
          }
        : {
            builder: 'local',
            generator: { runIn: 'local' },
            publisher: { type: 'local', local: { publishDirectory: TECHDOCS_LOCAL_DIR } },
          },
    platform: { permissions: { adminGroups: [...o.adminGroups] } },
  };
}
const BACKEND_PORT = 7007;
/**
 * Where the portal image keeps the backend package (backstage-config/backend/Dockerfile): the
 * chart mounts the config layers there and starts the backend from there, so the catalog location
 * `../../dist/catalog/all.yaml` is the image's /app/dist.
 */
const INSTALL_DIR = '/app/backstage-config/backend';
/** The image's entry point (the chart's default is `node packages/backend`). */
const BACKEND_COMMAND = ['node', '--require', 'tsx/cjs', 'src/index.ts'];

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

export interface BackstageArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly chartVersion: string;
  /** Image repository with registry, without tag (`ghcr.io/acme/platform-portal`). */
  readonly imageRepository: string;
  readonly imageTag: string;
  /** Public host name of the portal. */
  readonly host: string;
  readonly ingressClassName: string;
  readonly tlsSecretName: string;
  /**
   * cert-manager ClusterIssuer for the certificate.
   * @default the TLS Secret is provided by other means
   */
  readonly tlsClusterIssuer?: string;
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
  /** The GitLab instance and the Secret with the portal's OAuth client (sign-in). */
  readonly gitlab: {
    readonly url: string;
    /** Full path of the platform group, the root of catalog discovery and org ingestion. */
    readonly platformGroup: string;
    /** Path of the claims project in the platform group (templates open merge requests there). */
    readonly claimsProject: string;
    /** Full path of the customers group (the customer-group template creates subgroups there). */
    readonly customersGroup: string;
    readonly oauthSecretName: pulumi.Input<string>;
    readonly readTokenSecretName: pulumi.Input<string>;
    /** The Secret with the scaffolder's token for merge requests on the claims project. */
    readonly scaffolderTokenSecretName: pulumi.Input<string>;
    /** Changes on rotation; as a pod annotation it restarts the portal with the new tokens. */
    readonly tokensCreatedAt: pulumi.Input<string>;
  };
  readonly techdocs: TechdocsStorage;
  /** Group entity refs with full access (the platform team). */
  readonly adminGroups: readonly string[];
  /** What must exist first (the database). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/**
 * The catalog name the GitLab org provider gives a group ingested under `rootGroup`: its path
 * relative to the root, `/` replaced by `-` (the provider's default group name transformer).
 */
export function orgEntityName(rootGroup: string, groupPath: string): string {
  const relative = groupPath.startsWith(`${rootGroup}/`)
    ? groupPath.slice(rootGroup.length + 1)
    : groupPath;
  return relative.replaceAll('/', '-');
}

/**
 * The GitLab settings of the `portal-env` ConfigMap, for the `${GITLAB_*}`s of the config layers
 * (the templates' default environment among them).
 */
export function gitlabEnv(
  gitlab: Pick<
    BackstageArgs['gitlab'],
    'url' | 'platformGroup' | 'claimsProject' | 'customersGroup'
  >,
): Record<string, string> {
  return {
    GITLAB_URL: gitlab.url,
    GITLAB_HOST: new URL(gitlab.url).host,
    GITLAB_PLATFORM_GROUP: gitlab.platformGroup,
    GITLAB_CLAIMS_PROJECT: gitlab.claimsProject,
    GITLAB_CUSTOMERS_GROUP: gitlab.customersGroup,
    GITLAB_CUSTOMERS_GROUP_ENTITY: orgEntityName(gitlab.platformGroup, gitlab.customersGroup),
  };
}

/** `app-config.production.yaml` -> `portal-app-config-production`, `app-config.yaml` -> `portal-app-config-base`. */
export function configMapName(file: string): string {
  const layer = file.replace(/^app-config\.?/, '').replace(/\.?yaml$/, '');
  return `portal-app-config-${layer === '' ? 'base' : layer.replace(/\./g, '-')}`;
}

/**
 * The portal: the Backstage Helm chart with the app-config layers of backstage-config/ mounted
 * from ConfigMaps, every credential as an environment variable from a Secret, a dedicated
 * ServiceAccount with a read-only ClusterRole for the Kubernetes plugin, TLS ingress, and a
 * NetworkPolicy that admits only the ingress controller.
 */
export class Backstage extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: BackstageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('platform:backstage:Backstage', name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const serviceAccountName = 'backstage';
    const labels = {
      'app.kubernetes.io/part-of': 'platform',
      'app.kubernetes.io/component': 'backstage',
    };

    const layerFiles: [string, string][] = [
      ...APP_CONFIG_LAYERS.map((file): [string, string] => [
        file,
        fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, file), 'utf8'),
      ]),
      [
        STACK_CONFIG_LAYER,
        `# Generated by the stack (infra/backstage.ts).\n${stringify(
          stackConfigLayer({ techdocs: args.techdocs, adminGroups: args.adminGroups }),
        )}`,
      ],
    ];
    const layers = layerFiles.map(
      ([file, content]) =>
        new k8s.core.v1.ConfigMap(
          `${name}-${configMapName(file)}`,
          {
            metadata: {
              // The chart also names the pod volume after it: it must be a DNS label.
              name: configMapName(file),
              namespace: args.namespace,
              labels,
            },
            data: { [file]: content },
          },
          childOpts,
        ),
    );
    // The static token of backend.auth.externalAccess (CI and scripts: reads the catalog).
    const externalToken = new random.RandomPassword(
      `${name}-external-access-token`,
      { length: 48, special: false },
      { parent: this },
    );
    const externalSecret = new k8s.core.v1.Secret(
      `${name}-external-access`,
      {
        metadata: { name: EXTERNAL_ACCESS_SECRET.name, namespace: args.namespace, labels },
        type: 'Opaque',
        stringData: { [EXTERNAL_ACCESS_SECRET.key]: externalToken.result },
      },
      childOpts,
    );
    const techdocsVolume =
      args.techdocs.bucket === undefined
        ? new k8s.core.v1.PersistentVolumeClaim(
            `${name}-techdocs`,
            {
              metadata: { name: 'portal-techdocs', namespace: args.namespace, labels },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: args.techdocs.volumeSize } },
              },
            },
            childOpts,
          )
        : undefined;
    // Settings that are not secret, for the ${VAR}s of the config layers.
    const env = new k8s.core.v1.ConfigMap(
      `${name}-env`,
      {
        metadata: { name: 'portal-env', namespace: args.namespace, labels },
        data: {
          BACKSTAGE_BASE_URL: `https://${args.host}`,
          POSTGRES_HOST: args.database.host,
          POSTGRES_PORT: '5432',
          POSTGRES_DB: args.database.name,
          ...gitlabEnv(args.gitlab),
          PORTAL_COMMIT_EMAIL: `portal@${args.host}`,
        },
      },
      childOpts,
    );

    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-kubernetes-reader`,
      {
        metadata: { name: 'platform:backstage:kubernetes-reader', labels },
        rules: rulesForResources(
          [...KUBERNETES_PLUGIN_CORE_RESOURCES, ...args.customResources],
          ['get', 'list', 'watch'],
        ),
      },
      childOpts,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-kubernetes-reader`,
      {
        metadata: { name: 'platform:backstage:kubernetes-reader', labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: role.metadata.name,
        },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: args.namespace }],
      },
      childOpts,
    );

    const [registry, ...repository] = args.imageRepository.split('/');
    const healthProbe = (
      check: 'readiness' | 'liveness',
      extra: Record<string, number>,
    ): Record<string, unknown> => ({
      httpGet: { path: `/.backstage/health/v1/${check}`, port: BACKEND_PORT, scheme: 'HTTP' },
      ...extra,
    });
    const values = pulumi.output({
      backstage: {
        image: {
          registry,
          repository: repository.join('/'),
          tag: args.imageTag,
          pullPolicy: 'IfNotPresent',
        },
        installDir: INSTALL_DIR,
        command: BACKEND_COMMAND,
        containerPorts: { backend: BACKEND_PORT },
        extraAppConfig: layerFiles.map(([file], i) => ({
          filename: file,
          configMapRef: layers[i].metadata.name,
        })),
        extraEnvVarsCM: [env.metadata.name],
        extraEnvVars: [
          {
            name: 'POSTGRES_USER',
            valueFrom: { secretKeyRef: { name: args.database.secretName, key: 'username' } },
          },
          {
            name: 'POSTGRES_PASSWORD',
            valueFrom: { secretKeyRef: { name: args.database.secretName, key: 'password' } },
          },
          ...[OAUTH_SECRET.clientId, OAUTH_SECRET.clientSecret].map((key) => ({
            name: key,
            valueFrom: { secretKeyRef: { name: args.gitlab.oauthSecretName, key } },
          })),
          {
            name: READ_TOKEN_SECRET.key,
            valueFrom: {
              secretKeyRef: { name: args.gitlab.readTokenSecretName, key: READ_TOKEN_SECRET.key },
            },
          },
          {
            name: EXTERNAL_ACCESS_SECRET.key,
            valueFrom: {
              secretKeyRef: { name: externalSecret.metadata.name, key: EXTERNAL_ACCESS_SECRET.key },
            },
          },
          ...(args.techdocs.bucket !== undefined
            ? ['TECHDOCS_ACCESS_KEY_ID', 'TECHDOCS_SECRET_ACCESS_KEY'].map((key) => ({
                name: key,
                valueFrom: {
                  secretKeyRef: { name: args.techdocs.bucket!.credentialsSecret, key },
                },
              }))
            : []),
          {
            name: SCAFFOLDER_TOKEN_SECRET.key,
            valueFrom: {
              secretKeyRef: {
                name: args.gitlab.scaffolderTokenSecretName,
                key: SCAFFOLDER_TOKEN_SECRET.key,
              },
            },
          },
        ],
        // The root file system is read-only; the backend writes temporary files only.
        extraVolumes: [
          { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
          ...(techdocsVolume !== undefined
            ? [
                {
                  name: 'techdocs',
                  persistentVolumeClaim: { claimName: techdocsVolume.metadata.name },
                },
              ]
            : []),
        ],
        extraVolumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          ...(techdocsVolume !== undefined
            ? [{ name: 'techdocs', mountPath: TECHDOCS_LOCAL_DIR }]
            : []),
        ],
        resources: {
          requests: { cpu: '250m', memory: '512Mi' },
          limits: { cpu: '1', memory: '1Gi' },
        },
        podSecurityContext: {
          ...restrictedPodSecurityContext(WORKLOAD_USERS.portal),
          fsGroup: WORKLOAD_USERS.portal.group,
        },
        containerSecurityContext: restrictedContainerSecurityContext(WORKLOAD_USERS.portal),
        startupProbe: healthProbe('liveness', { periodSeconds: 5, failureThreshold: 60 }),
        readinessProbe: healthProbe('readiness', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        livenessProbe: healthProbe('liveness', {
          periodSeconds: 20,
          timeoutSeconds: 5,
          failureThreshold: 6,
        }),
        replicas: 1,
        podAnnotations: {
          'platform.example.org/gitlab-tokens-created-at': args.gitlab.tokensCreatedAt,
        },
      },
      serviceAccount: {
        create: true,
        name: serviceAccountName,
        automountServiceAccountToken: true,
      },
      ingress: {
        enabled: true,
        className: args.ingressClassName,
        host: args.host,
        tls: { enabled: true, secretName: args.tlsSecretName },
        ...(args.tlsClusterIssuer !== undefined
          ? { annotations: { 'cert-manager.io/cluster-issuer': args.tlsClusterIssuer } }
          : {}),
      },
      // The chart's policy covers ingress only; ours below covers both directions.
      networkPolicy: { enabled: false },
      postgresql: { enabled: false },
    });

    const release = addonRelease(
      `${name}-chart`,
      {
        name: 'backstage',
        chart: 'backstage',
        version: args.chartVersion,
        repo: BACKSTAGE_CHART_REPOSITORY,
        namespace: args.namespace,
        values,
      },
      {
        ...childOpts,
        dependsOn: [
          ...(args.dependsOn ?? []),
          ...layers,
          env,
          externalSecret,
          ...(techdocsVolume !== undefined ? [techdocsVolume] : []),
        ],
      },
    );

    new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      {
        metadata: { name: 'backstage', namespace: args.namespace, labels },
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
                      'kubernetes.io/metadata.name': args.ingressNamespace ?? 'ingress-nginx',
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
                  namespaceSelector: {
                    matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
                  },
                },
              ],
              ports: [
                { protocol: 'UDP', port: 53 },
                { protocol: 'TCP', port: 53 },
              ],
            },
            {
              to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': args.database.cluster } } }],
              ports: [{ protocol: 'TCP', port: 5432 }],
            },
            // GitLab, the Kubernetes API and object storage: HTTPS anywhere.
            {
              ports: [
                { protocol: 'TCP', port: 443 },
                { protocol: 'TCP', port: 6443 },
              ],
            },
          ],
        },
      },
      childOpts,
    );

    this.url = pulumi.output(`https://${args.host}`);
    this.chartVersion = release.version;
    this.registerOutputs({ url: this.url, chartVersion: this.chartVersion });
  }
}
