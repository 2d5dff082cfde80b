import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { versions } from '../../versions';
import {
  ResourceGraphDefinition,
  ResourceGraphDefinitionSpecSchemaScope,
} from '../imports/kro-kro.run';
import { openApiSchema, simpleSchema } from '../kro/simple-schema';
import {
  DNS1035_LABEL_PATTERN,
  isDnsLabel,
  isDnsSubdomain,
  isLabelKey,
  KIND_PATTERN,
  nameBudget,
} from '../names';
import type { OpenApiSchema } from '../openapi';
import { MANAGE_VERBS, rulesFor, type TypeRef } from '../rbac';
import { PropsChecker } from '../validation';
import { DatabaseDeletionProtection, databaseProtectionLabel } from './deletion-protection';
import { DatabasePlacement } from './placement';
import { DATABASE_NAME_SUFFIXES, databaseGraph } from './resources';
import { databaseSpec, STORAGE_PATTERN } from './spec';

export interface DatabaseApiProps {
  /**
   * API group of the instance kind.
   * @default 'platform.example.org'
   */
  readonly group?: string;
  /**
   * Version of the instance kind.
   * @default 'v1alpha1'
   */
  readonly version?: string;
  /**
   * Kind of the instances.
   * @default 'PostgresDatabase'
   */
  readonly kind?: string;
  /**
   * PostgreSQL image per supported major version; the keys are what `spec.version` accepts.
   * @default versions.postgresImages from versions.ts
   */
  readonly images?: Readonly<Record<string, string>>;
  /**
   * Major version of instances that name none.
   * @default '17'
   */
  readonly defaultVersion?: string;
  /**
   * Volume size of instances that name none.
   * @default '5Gi'
   */
  readonly defaultStorage?: string;
  /**
   * Storage class of the data volumes.
   * @default the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Namespace of the Secret holding the password seed (see the class comment).
   * @default 'kro-system'
   */
  readonly seedSecretNamespace?: string;
  /**
   * Name of the Secret holding the password seed.
   * @default 'postgres-password-seed'
   */
  readonly seedSecretName?: string;
  /**
   * Key of the seed in that Secret.
   * @default 'seed'
   */
  readonly seedSecretKey?: string;
  /**
   * The label that marks team namespaces (set by the TeamNamespace composition): instances may
   * be created only in namespaces that carry it (see DatabasePlacement).
   * @default '<group>/owner', the TeamNamespace API's owner label in the same group
   */
  readonly teamNamespaceLabel?: string;
}

/** A pinned image reference: registry path and an exact tag (no `latest`) or a digest. */
const PINNED_IMAGE =
  /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:(?!latest$)[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * The database platform API (Kro): a namespaced `PostgresDatabase` instance renders a Secret with
 * connection details, a PersistentVolumeClaim that outlives the instance, a single-instance
 * PostgreSQL Deployment under the Pod Security "restricted" profile, and a Service. Instances and
 * their volumes are deletion-protected while `spec.deletionProtection` is true (the default; see
 * DatabaseDeletionProtection), and instances are admitted only in team namespaces
 * (DatabasePlacement).
 *
 * Password threat model. The password must exist in the cluster only: never in the claim, in
 * Git or in dist/. Kro 0.9.3 can derive it in the cluster as the SHA-256 of a seed (see
 * passwordExpression), so its secrecy is exactly the secrecy of the seed. A seed made of fields
 * of the instance (its uid, name or namespace) would let anyone who can read the instance, such as
 * every holder of the namespace's `view` role, compute the password. The seed therefore starts
 * with a platform secret: 48 random bytes in a Secret in Kro's own namespace, created by the Pulumi
 * stack from @pulumi/random and readable only by cluster admins and Kro (which can read all
 * Secrets anyway). The instance's namespace and name complete the seed, which makes passwords
 * distinct per database and stable for its lifetime; the uid is deliberately left out so that a
 * database recreated under the same name, which adopts its retained volume, gets the password that
 * volume was initialised with. Who can read the resulting Secret in the team's namespace (its
 * `edit` holders) can read the password, as intended. Rotating the seed changes every password
 * PostgreSQL no longer accepts, so it is a migration, not a routine operation.
 */
export class DatabaseApi extends Construct {
  public readonly group: string;
  public readonly version: string;
  public readonly kind: string;
  public readonly plural: string;
  public readonly apiVersion: string;
  /** The OpenAPI schema Kro generates for instance specs; the portal's form comes from it. */
  public readonly specSchema: OpenApiSchema;
  /** The longest instance name for which every derived object name is a valid DNS label. */
  public readonly maxNameLength: number;
  /** Instance names: the Service is named after the instance, so a DNS-1035 label. */
  public readonly namePattern = DNS1035_LABEL_PATTERN;
  /** The kinds the graph creates (and Kro is granted). */
  public readonly managedTypes: readonly TypeRef[];
  public readonly rgd: ResourceGraphDefinition;
  public readonly clusterRole: k8s.KubeClusterRole;
  public readonly deletionProtection: DatabaseDeletionProtection;
  public readonly placement: DatabasePlacement;

  constructor(scope: Construct, id: string, props: DatabaseApiProps = {}) {
    super(scope, id);
    const group = props.group ?? 'platform.example.org';
    const version = props.version ?? 'v1alpha1';
    const kind = props.kind ?? 'PostgresDatabase';
    const images = props.images ?? versions.postgresImages;
    const defaultVersion = props.defaultVersion ?? '17';
    const defaultStorage = props.defaultStorage ?? '5Gi';
    const teamNamespaceLabel = props.teamNamespaceLabel ?? `${group}/owner`;
    const seedSecret = {
      namespace: props.seedSecretNamespace ?? 'kro-system',
      name: props.seedSecretName ?? 'postgres-password-seed',
      key: props.seedSecretKey ?? 'seed',
    };

    const check = new PropsChecker(`DatabaseApi ${this.node.path}`);
    check.apiGroup('group', group);
    check.apiVersion('version', version);
    // Kro pluralizes kinds with flect; for kinds ending like these, lowercase + "s" is its plural too.
    check.expect(
      new RegExp(KIND_PATTERN).test(kind) &&
        !/(s|x|z|y|ch|sh|f|fe|o|man|person|child)$/i.test(kind),
      'kind',
      kind,
      'an UpperCamelCase kind whose plural is its lowercase form plus "s", such as "PostgresDatabase"',
    );
    check.expect(Object.keys(images).length > 0, 'images', images, 'at least one version');
    for (const [major, image] of Object.entries(images)) {
      check.expect(
        /^[1-9][0-9]$/.test(major),
        `images key`,
        major,
        'a PostgreSQL major version such as "17"',
      );
      check.expect(
        PINNED_IMAGE.test(image),
        `images.${major}`,
        image,
        'an image pinned to an exact tag or digest, such as "docker.io/library/postgres:17.7"',
      );
    }
    check.expect(
      defaultVersion in images,
      'defaultVersion',
      defaultVersion,
      `one of ${JSON.stringify(Object.keys(images))}`,
    );
    check.expect(
      new RegExp(STORAGE_PATTERN).test(defaultStorage),
      'defaultStorage',
      defaultStorage,
      'a size such as "5Gi" or "1Ti"',
    );
    if (props.storageClassName !== undefined) {
      check.expect(
        isDnsSubdomain(props.storageClassName),
        'storageClassName',
        props.storageClassName,
        'a storage class name (a DNS subdomain)',
      );
    }
    check.expect(
      isDnsLabel(seedSecret.namespace),
      'seedSecretNamespace',
      seedSecret.namespace,
      'a namespace name (a DNS-1123 label)',
    );
    check.expect(
      isDnsSubdomain(seedSecret.name),
      'seedSecretName',
      seedSecret.name,
      'a Secret name (a DNS subdomain)',
    );
    check.expect(
      SECRET_KEY.test(seedSecret.key),
      'seedSecretKey',
      seedSecret.key,
      "a Secret key (alphanumerics, '-', '_', '.')",
    );
    check.expect(
      isLabelKey(teamNamespaceLabel),
      'teamNamespaceLabel',
      teamNamespaceLabel,
      'a label key such as "platform.example.org/owner"',
    );
    check.done();

    this.group = group;
    this.version = version;
    this.kind = kind;
    this.plural = `${kind.toLowerCase()}s`;
    this.apiVersion = `${group}/${version}`;
    this.maxNameLength = nameBudget(Object.values(DATABASE_NAME_SUFFIXES));

    const spec = databaseSpec({ versions: Object.keys(images), defaultVersion, defaultStorage });
    this.specSchema = openApiSchema(spec);
    const resources = databaseGraph({
      images,
      seedSecret,
      storageClassName: props.storageClassName,
      protectionLabel: databaseProtectionLabel(group),
    });

    this.rgd = new ResourceGraphDefinition(this, 'Resource', {
      metadata: { name: `${this.plural}.${group}` },
      spec: {
        schema: {
          apiVersion: version,
          kind,
          group,
          scope: ResourceGraphDefinitionSpecSchemaScope.NAMESPACED,
          spec: simpleSchema(spec),
          status: {
            host: '${service.metadata.name + "." + service.metadata.namespace + ".svc"}',
            port: '${service.spec.ports[0].port}',
            secretName: '${credentials.metadata.name}',
            ready:
              '${has(database.status) && has(database.status.readyReplicas) && database.status.readyReplicas >= 1}',
          },
          additionalPrinterColumns: [
            { name: 'VERSION', type: 'string', jsonPath: '.spec.version' },
            { name: 'STORAGE', type: 'string', jsonPath: '.spec.storage' },
            { name: 'HOST', type: 'string', jsonPath: '.status.host' },
            { name: 'READY', type: 'boolean', jsonPath: '.status.ready' },
            { name: 'PROTECTED', type: 'boolean', jsonPath: '.spec.deletionProtection' },
            { name: 'STATE', type: 'string', jsonPath: '.status.state' },
          ],
        },
        resources,
      },
    });

    this.managedTypes = resources
      .filter((r) => r.template !== undefined)
      .map((r) => r.template as TypeRef)
      .map((t) => ({ apiVersion: t.apiVersion, kind: t.kind }));
    const externalTypes = resources
      .filter((r) => r.externalRef !== undefined)
      .map((r) => ({ apiVersion: r.externalRef!.apiVersion, kind: r.externalRef!.kind }));

    // Kro's aggregation mode grants the controller only what ClusterRoles with this label add:
    // its instances, the kinds the graph manages, and read access to external references.
    this.clusterRole = new k8s.KubeClusterRole(this, 'KroRole', {
      metadata: {
        name: `kro:controller:${this.plural}.${group}`,
        labels: { 'rbac.kro.run/aggregate-to-controller': 'true' },
      },
      rules: [
        {
          apiGroups: [group],
          resources: [this.plural],
          verbs: ['get', 'list', 'watch', 'update', 'patch'],
        },
        {
          apiGroups: [group],
          resources: [`${this.plural}/status`],
          verbs: ['get', 'update', 'patch'],
        },
        { apiGroups: [group], resources: [`${this.plural}/finalizers`], verbs: ['update'] },
        ...rulesFor(this.managedTypes, MANAGE_VERBS),
        // External references of kinds the graph also manages are covered by the rule above.
        ...rulesFor(
          externalTypes.filter(
            (e) =>
              !this.managedTypes.some((m) => m.apiVersion === e.apiVersion && m.kind === e.kind),
          ),
          ['get', 'list', 'watch'],
        ),
      ],
    });

    this.deletionProtection = new DatabaseDeletionProtection(this, 'DeletionProtection', {
      api: { group, version, plural: this.plural, kind },
      volumeLabel: databaseProtectionLabel(group),
    });
    this.placement = new DatabasePlacement(this, 'Placement', {
      api: { group, version, plural: this.plural, kind },
      teamNamespaceLabel,
    });
  }
}
