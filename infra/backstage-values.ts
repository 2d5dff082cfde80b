/**
 * The Backstage chart's values, computed from typed arguments: the pinned image run the way the
 * portal image is built to run, under the "restricted" profile, the config layers mounted from
 * their ConfigMaps, every credential as an environment variable from a Secret, probes, TLS
 * ingress. Pure (the Pulumi SDK only as types); Backstage (backstage.ts) passes the names of the
 * resources it declares as `refs`, so that the values name exactly those.
 */
import type * as pulumi from '@pulumi/pulumi';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
} from '../constructs/pod-security';
import {
  BACKEND_PORT,
  EXTERNAL_ACCESS_SECRET,
  SERVICE_ACCOUNT,
  TECHDOCS_LOCAL_DIR,
  type TechdocsStorage,
} from './backstage-spec';
import {
  OAUTH_SECRET,
  READ_TOKEN_SECRET,
  SCAFFOLDER_TOKEN_SECRET,
  WEBHOOK_SECRET,
} from './gitlab/portal-access';

type In<T> = pulumi.Input<T>;

/**
 * Where the portal image keeps the backend package (backstage-config/backend/Dockerfile): the
 * chart mounts the config layers there and starts the backend from there, so the catalog location
 * `../../dist/catalog/all.yaml` is the image's /app/dist.
 */
export const INSTALL_DIR = '/app/backstage-config/backend';
/**
 * The platform's catalog files in the image (`../../dist/catalog` of INSTALL_DIR). Without a
 * TechDocs bucket the portal builds the platform System's docs from this folder (`dir:.`), and
 * TechDocs rewrites the site's mkdocs.yml in place before every build (techdocs-node 2.0.0's
 * `sanitizeMkdocsYml` always writes, and fails the build when it cannot): on the read-only root
 * file system it could not. An init container copies the folder into a writable volume mounted
 * here instead.
 */
export const IMAGE_CATALOG_DIR = '/app/dist/catalog';
const CATALOG_COPY_DIR = '/catalog-copy';

/** The image's entry point, compiled JavaScript (the chart's default is `node packages/backend`). */
export const BACKEND_COMMAND = ['node', 'dist/index.js'];

/** What the values are computed from. */
export interface BackstageValuesArgs {
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
  readonly techdocs: TechdocsStorage;
  /** The basic-auth Secret of the database's owner role. */
  readonly databaseSecretName: In<string>;
  readonly gitlab: {
    readonly oauthSecretName: In<string>;
    readonly readTokenSecretName: In<string>;
    readonly scaffolderTokenSecretName: In<string>;
    /** The Secret with the token of GitLab's webhook deliveries (the catalog's refresh on push). */
    readonly webhookSecretName: In<string>;
    /** Changes on rotation; as a pod annotation it restarts the portal with the new tokens. */
    readonly tokensCreatedAt: In<string>;
  };
}

/** The resources of the component the values name. */
export interface BackstageValuesRefs {
  /** The config layers in the order the backend reads them, each with its ConfigMap. */
  readonly layers: readonly { readonly file: string; readonly configMap: In<string> }[];
  /** The `portal-env` ConfigMap. */
  readonly envConfigMap: In<string>;
  /** The external-access Secret. */
  readonly externalAccessSecret: In<string>;
  /** The TechDocs volume's claim, when there is no bucket. */
  readonly techdocsClaim?: In<string>;
}

/** An environment variable from a Secret's key. */
const fromSecret = (
  name: string,
  secret: In<string>,
  key: string = name,
): Record<string, unknown> => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

const healthProbe = (
  check: 'readiness' | 'liveness',
  extra: Record<string, number>,
): Record<string, unknown> => ({
  httpGet: { path: `/.backstage/health/v1/${check}`, port: BACKEND_PORT, scheme: 'HTTP' },
  ...extra,
});

/** The chart's values. */
export function backstageValues(
  args: BackstageValuesArgs,
  refs: BackstageValuesRefs,
): Record<string, unknown> {
  const [registry, ...repository] = args.imageRepository.split('/');
  const bucket = args.techdocs.bucket;
  return {
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
      extraAppConfig: refs.layers.map((l) => ({ filename: l.file, configMapRef: l.configMap })),
      extraEnvVarsCM: [refs.envConfigMap],
      extraEnvVars: [
        fromSecret('POSTGRES_USER', args.databaseSecretName, 'username'),
        fromSecret('POSTGRES_PASSWORD', args.databaseSecretName, 'password'),
        ...[OAUTH_SECRET.clientId, OAUTH_SECRET.clientSecret].map((key) =>
          fromSecret(key, args.gitlab.oauthSecretName),
        ),
        fromSecret(READ_TOKEN_SECRET.key, args.gitlab.readTokenSecretName),
        fromSecret(EXTERNAL_ACCESS_SECRET.key, refs.externalAccessSecret),
        ...(bucket !== undefined
          ? ['TECHDOCS_ACCESS_KEY_ID', 'TECHDOCS_SECRET_ACCESS_KEY'].map((key) =>
              fromSecret(key, bucket.credentialsSecret),
            )
          : []),
        fromSecret(SCAFFOLDER_TOKEN_SECRET.key, args.gitlab.scaffolderTokenSecretName),
        fromSecret(WEBHOOK_SECRET.key, args.gitlab.webhookSecretName),
      ],
      ...(bucket === undefined
        ? {
            initContainers: [
              {
                name: 'catalog',
                image: `${args.imageRepository}:${args.imageTag}`,
                imagePullPolicy: 'IfNotPresent',
                command: ['cp', '-R', `${IMAGE_CATALOG_DIR}/.`, `${CATALOG_COPY_DIR}/`],
                volumeMounts: [{ name: 'catalog', mountPath: CATALOG_COPY_DIR }],
                securityContext: restrictedContainerSecurityContext(WORKLOAD_USERS.portal),
                resources: {
                  requests: { cpu: '10m', memory: '32Mi' },
                  limits: { cpu: '100m', memory: '64Mi' },
                },
              },
            ],
          }
        : {}),
      // The root file system is read-only; the backend writes temporary files, and without a
      // bucket TechDocs' sites and the catalog folder TechDocs builds the platform's docs in.
      extraVolumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
        ...(refs.techdocsClaim !== undefined
          ? [{ name: 'techdocs', persistentVolumeClaim: { claimName: refs.techdocsClaim } }]
          : []),
        ...(bucket === undefined ? [{ name: 'catalog', emptyDir: { sizeLimit: '64Mi' } }] : []),
      ],
      extraVolumeMounts: [
        { name: 'tmp', mountPath: '/tmp' },
        ...(refs.techdocsClaim !== undefined
          ? [{ name: 'techdocs', mountPath: TECHDOCS_LOCAL_DIR }]
          : []),
        ...(bucket === undefined ? [{ name: 'catalog', mountPath: IMAGE_CATALOG_DIR }] : []),
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
    serviceAccount: { create: true, name: SERVICE_ACCOUNT, automountServiceAccountToken: true },
    ingress: {
      enabled: true,
      className: args.ingressClassName,
      host: args.host,
      tls: { enabled: true, secretName: args.tlsSecretName },
      ...(args.tlsClusterIssuer !== undefined
        ? { annotations: { 'cert-manager.io/cluster-issuer': args.tlsClusterIssuer } }
        : {}),
    },
    // The chart's policy covers ingress only; the component's NetworkPolicy covers both directions.
    networkPolicy: { enabled: false },
    postgresql: { enabled: false },
  };
}
