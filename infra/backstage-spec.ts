/**
 * What the portal's component declares besides its Helm values (backstage-values.ts) and its
 * access rules (backstage-policy.ts), computed from typed arguments: the config layers and their
 * ConfigMaps, the `portal-env` settings, the external-access Secret, the TechDocs volume. Pure (the Pulumi SDK only as types): Backstage (backstage.ts) declares one
 * resource per value here; the unit tests read the values without running a program.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { stringify } from 'yaml';

type In<T> = pulumi.Input<T>;

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
/** The port the backend listens on (app-config.production.yaml `backend.listen.port`). */
export const BACKEND_PORT = 7007;
/** The portal's ServiceAccount, which the chart creates and the Kubernetes plugin reads as. */
export const SERVICE_ACCOUNT = 'backstage';
/** The labels of everything the component declares itself. */
export const PORTAL_LABELS = {
  'app.kubernetes.io/part-of': 'platform',
  'app.kubernetes.io/component': 'backstage',
} as const;

/** A config layer as a file: its name and its text. */
export interface ConfigLayerFile {
  readonly file: string;
  readonly content: string;
}

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

/** What the stack's own config layer is made of. */
export interface StackLayerArgs {
  readonly techdocs: TechdocsStorage;
  readonly adminGroups: readonly string[];
  /** `app.title`; unset: the base layer's. */
  readonly portalTitle?: string;
  /** `organization.name`; unset: the base layer's. */
  readonly organizationName?: string;
}

/**
 * `text` as a config value Backstage reads back unchanged: its config loader substitutes
 * `${VAR}` (and turns `$${...}` into `${...}`) in every string of every layer
 * (createSubstitutionTransform in @backstage/config-loader), so each such sequence gets one more
 * `$`, which the loader removes.
 */
export function configLiteral(text: string): string {
  return text.replace(/\$?\$\{[^{}]*\}/g, (m) => `$${m}`);
}

/**
 * The stack's own config layer: what differs per stack and is not a plain value. TechDocs: with
 * a bucket, CI builds and publishes (builder external, publisher awsS3); without, the portal
 * builds with mkdocs in its image (no Docker) and stores on its volume. Permissions: the groups
 * with full access, from the GitLab group tree (see the permission policy in backstage-config/).
 * The portal's title and organization name, when given (plugin-app-backend injects them into the
 * app at run time: one image for every stack).
 */
export function stackConfigLayer(o: StackLayerArgs): Record<string, unknown> {
  const bucket = o.techdocs.bucket;
  return {
    ...(o.portalTitle !== undefined ? { app: { title: configLiteral(o.portalTitle) } } : {}),
    ...(o.organizationName !== undefined
      ? { organization: { name: configLiteral(o.organizationName) } }
      : {}),
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

/**
 * Every layer the portal reads, in order: those of backstage-config/ (given as files, by the
 * stack), then the stack's own.
 */
export function configLayerFiles(
  o: StackLayerArgs & { readonly configLayers: readonly ConfigLayerFile[] },
): ConfigLayerFile[] {
  return [
    ...o.configLayers,
    {
      file: STACK_CONFIG_LAYER,
      content: `# Generated by the stack (infra/backstage.ts).\n${stringify(stackConfigLayer(o))}`,
    },
  ];
}

/** `app-config.production.yaml` -> `portal-app-config-production`, `app-config.yaml` -> `portal-app-config-base`. */
export function configMapName(file: string): string {
  const layer = file.replace(/^app-config\.?/, '').replace(/\.?yaml$/, '');
  return `portal-app-config-${layer === '' ? 'base' : layer.replace(/\./g, '-')}`;
}

/** A layer's ConfigMap; the chart also names the pod volume after it, so a DNS label. */
export function configLayerConfigMap(
  layer: ConfigLayerFile,
  namespace: In<string>,
): k8s.core.v1.ConfigMapArgs {
  return {
    metadata: { name: configMapName(layer.file), namespace, labels: { ...PORTAL_LABELS } },
    data: { [layer.file]: layer.content },
  };
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

/** The GitLab instance and groups the portal works with. */
export interface PortalGitlab {
  readonly url: string;
  /** Full path of the platform group, the root of catalog discovery and org ingestion. */
  readonly platformGroup: string;
  /** Path of the claims project in the platform group (templates open merge requests there). */
  readonly claimsProject: string;
  /** Full path of the customers group (the customer-group template creates subgroups there). */
  readonly customersGroup: string;
}

/**
 * The GitLab settings of the `portal-env` ConfigMap, for the `${GITLAB_*}`s of the config layers
 * (the templates' default environment among them).
 */
export function gitlabEnv(gitlab: PortalGitlab): Record<string, string> {
  return {
    GITLAB_URL: gitlab.url,
    GITLAB_HOST: new URL(gitlab.url).host,
    GITLAB_PLATFORM_GROUP: gitlab.platformGroup,
    GITLAB_CLAIMS_PROJECT: gitlab.claimsProject,
    GITLAB_CUSTOMERS_GROUP: gitlab.customersGroup,
    GITLAB_CUSTOMERS_GROUP_ENTITY: orgEntityName(gitlab.platformGroup, gitlab.customersGroup),
  };
}

/** Settings that are not secret, for the `${VAR}`s of the config layers: `portal-env`. */
export function portalEnvConfigMap(o: {
  namespace: In<string>;
  host: string;
  database: { readonly host: In<string>; readonly name: string };
  gitlab: PortalGitlab;
}): k8s.core.v1.ConfigMapArgs {
  return {
    metadata: { name: 'portal-env', namespace: o.namespace, labels: { ...PORTAL_LABELS } },
    data: {
      BACKSTAGE_BASE_URL: `https://${o.host}`,
      POSTGRES_HOST: o.database.host,
      POSTGRES_PORT: '5432',
      POSTGRES_DB: o.database.name,
      ...gitlabEnv(o.gitlab),
      PORTAL_COMMIT_EMAIL: `portal@${o.host}`,
    },
  };
}

/** The Secret of backend.auth.externalAccess's static token (CI and scripts: read the catalog). */
export function externalAccessSecret(
  namespace: In<string>,
  token: In<string>,
): k8s.core.v1.SecretArgs {
  return {
    metadata: { name: EXTERNAL_ACCESS_SECRET.name, namespace, labels: { ...PORTAL_LABELS } },
    type: 'Opaque',
    stringData: { [EXTERNAL_ACCESS_SECRET.key]: token },
  };
}

/** The volume TechDocs are stored on, when there is no bucket. */
export function techdocsVolumeClaim(
  namespace: In<string>,
  techdocs: TechdocsStorage,
): k8s.core.v1.PersistentVolumeClaimArgs | undefined {
  return techdocs.bucket === undefined
    ? {
        metadata: { name: 'portal-techdocs', namespace, labels: { ...PORTAL_LABELS } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: techdocs.volumeSize } },
        },
      }
    : undefined;
}
