/**
 * The resources of the PostgresDatabase graph: a Secret with the connection details, a
 * PersistentVolumeClaim, a single-instance PostgreSQL Deployment and its Service. Templates are
 * built with the typed Kubernetes classes of cdk8s-plus-29; `${...}` are Kro CEL expressions.
 */
import { k8s } from 'cdk8s-plus-29';
import type { ResourceGraphDefinitionSpecResources as GraphResource } from '../imports/kro-kro.run';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
} from '../pod-security';
import { manifest } from '../manifest';

export interface DatabaseGraphOptions {
  readonly images: Readonly<Record<string, string>>;
  readonly seedSecret: { readonly namespace: string; readonly name: string; readonly key: string };
  readonly storageClassName?: string;
  /** The volume's label that mirrors `spec.deletionProtection` (see DatabaseDeletionProtection). */
  readonly protectionLabel: string;
}

/** Suffixes appended to the instance name; they set the instance's name budget. */
export const DATABASE_NAME_SUFFIXES = { credentials: '-credentials', data: '-data' } as const;

export const POSTGRES_PORT = 5432;
const DATA_MOUNT = '/var/lib/postgresql/data';

const name = (suffix = ''): string =>
  suffix === '' ? '${schema.metadata.name}' : `\${schema.metadata.name + "${suffix}"}`;

/** Labels on every object; the first two also select the pod. */
const labels = {
  'app.kubernetes.io/name': 'postgresql',
  'app.kubernetes.io/instance': '${schema.metadata.name}',
  'app.kubernetes.io/managed-by': 'kro',
  'backstage.io/kubernetes-id': '${schema.metadata.name}',
};
const selector = {
  'app.kubernetes.io/name': labels['app.kubernetes.io/name'],
  'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'],
};

/** CEL choosing the image of `schema.spec.version` (a chain of conditionals, no map literal). */
export function imageExpression(images: Readonly<Record<string, string>>): string {
  const entries = Object.entries(images);
  const last = entries[entries.length - 1][1];
  const chain = entries
    .slice(0, -1)
    .reduceRight(
      (otherwise, [v, image]) => `schema.spec.version == "${v}" ? "${image}" : ${otherwise}`,
      `"${last}"`,
    );
  return `\${${chain}}`;
}

/**
 * The password, derived in-cluster; see DatabaseApi for the threat model: the SHA-256 of the seed
 * (Kro's `hash.sha256`), base64-encoded, made alphanumeric (`+` and `/` become letters, the
 * padding goes), 43 characters and 256 bits. Not `random.seededString`: Kro 0.9.3 reads its
 * 32-byte hash four bytes per character without ever refilling it, so any length repeats the first
 * 8 characters (41 bits). The seed Secret's `data` is CEL `bytes` (`format: byte`); random
 * bytes are rarely valid UTF-8, so `string(...)` would fail at run time: `base64.encode` turns
 * them into a string.
 */
export function passwordExpression(seedKey: string): string {
  const seed = `base64.encode(seed.data["${seedKey}"]) + ":" + schema.metadata.namespace + "/" + schema.metadata.name`;
  return `\${base64.encode(hash.sha256(${seed})).replace("+", "A").replace("/", "B").replace("=", "")}`;
}

export function databaseGraph(o: DatabaseGraphOptions): GraphResource[] {
  const seed: GraphResource = {
    id: 'seed',
    externalRef: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: o.seedSecret.name, namespace: o.seedSecret.namespace },
    },
  };

  const credentials: GraphResource = {
    id: 'credentials',
    template: manifest(
      k8s.KubeSecret.manifest({
        metadata: { name: name(DATABASE_NAME_SUFFIXES.credentials), labels },
        // The Service Binding spec's type for PostgreSQL: workloads and binding tools know the keys.
        type: 'servicebinding.io/postgresql',
        // Kro type-checks each expression against the field it fills: `data` values are
        // `format: byte` (CEL bytes), `stringData` values are strings, which the API server
        // encodes into `data` on write (what Kro's own integration tests do).
        stringData: {
          type: 'postgresql',
          provider: 'platform',
          host: '${schema.metadata.name + "." + schema.metadata.namespace + ".svc"}',
          port: String(POSTGRES_PORT),
          database: '${schema.spec.database}',
          username: '${schema.spec.username}',
          password: passwordExpression(o.seedSecret.key),
        },
      }),
    ),
  };

  const data: GraphResource = {
    id: 'data',
    // Kro 0.9.3 deletes every resource of an instance on deletion and has no retain policy.
    // A resource whose includeWhen is false is skipped by the deletion walk, so the volume is
    // kept: it is included while the instance lives and excluded once it is being deleted.
    // Recreating an instance of the same name adopts it again (the ApplySet ID is derived
    // from the instance's name and namespace) and the derived password is the same.
    includeWhen: ['${!has(schema.metadata.deletionTimestamp)}'],
    template: manifest(
      k8s.KubePersistentVolumeClaim.manifest({
        // Named from metadata.name only, which never changes: no edit can rename the volume.
        metadata: {
          name: name(DATABASE_NAME_SUFFIXES.data),
          labels: {
            ...labels,
            [o.protectionLabel]: '${schema.spec.deletionProtection ? "true" : "false"}',
          },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(o.storageClassName !== undefined ? { storageClassName: o.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString('${schema.spec.storage}') } },
        },
      }),
    ),
  };

  const container: k8s.Container = {
    name: 'postgres',
    image: imageExpression(o.images),
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
    env: [
      { name: 'PGDATA', value: `${DATA_MOUNT}/pgdata` },
      ...(['database', 'username', 'password'] as const).map((key) => ({
        name: { database: 'POSTGRES_DB', username: 'POSTGRES_USER', password: 'POSTGRES_PASSWORD' }[
          key
        ],
        // A reference, so that Kro creates the Secret before the Deployment.
        valueFrom: { secretKeyRef: { name: '${credentials.metadata.name}', key } },
      })),
    ],
    resources: {
      requests: {
        cpu: k8s.Quantity.fromString('${schema.spec.resources.requests.cpu}'),
        memory: k8s.Quantity.fromString('${schema.spec.resources.requests.memory}'),
      },
      limits: {
        cpu: k8s.Quantity.fromString('${schema.spec.resources.limits.cpu}'),
        memory: k8s.Quantity.fromString('${schema.spec.resources.limits.memory}'),
      },
    },
    // pg_isready only asks whether the server accepts connections: no credentials involved.
    startupProbe: {
      exec: { command: ['pg_isready', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`] },
      periodSeconds: 5,
      failureThreshold: 60,
    },
    readinessProbe: {
      exec: { command: ['pg_isready', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`] },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    livenessProbe: {
      tcpSocket: { port: k8s.IntOrString.fromString('postgres') },
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    securityContext: restrictedContainerSecurityContext(WORKLOAD_USERS.postgres),
    volumeMounts: [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'run', mountPath: '/var/run/postgresql' },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'shm', mountPath: '/dev/shm' },
    ],
  };

  const database: GraphResource = {
    id: 'database',
    readyWhen: [
      '${has(database.status) && has(database.status.readyReplicas) && database.status.readyReplicas >= 1}',
    ],
    template: manifest(
      k8s.KubeDeployment.manifest({
        metadata: { name: name(), labels },
        spec: {
          replicas: 1,
          // One pod owns the ReadWriteOnce volume at a time.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: {
                ...restrictedPodSecurityContext(WORKLOAD_USERS.postgres),
                fsGroup: WORKLOAD_USERS.postgres.group,
                fsGroupChangePolicy: 'OnRootMismatch',
              },
              terminationGracePeriodSeconds: 60,
              containers: [container],
              volumes: [
                // By name, not `${data.metadata.name}`: a reference would make the Deployment
                // depend on the volume and be skipped with it when the instance is deleted.
                {
                  name: 'data',
                  persistentVolumeClaim: { claimName: name(DATABASE_NAME_SUFFIXES.data) },
                },
                { name: 'run', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
                { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
                {
                  name: 'shm',
                  emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('256Mi') },
                },
              ],
            },
          },
        },
      }),
    ),
  };

  const service: GraphResource = {
    id: 'service',
    template: manifest(
      k8s.KubeService.manifest({
        metadata: { name: name(), labels },
        spec: {
          type: 'ClusterIP',
          selector,
          ports: [
            {
              name: 'postgres',
              port: POSTGRES_PORT,
              targetPort: k8s.IntOrString.fromString('postgres'),
              protocol: 'TCP',
            },
          ],
        },
      }),
    ),
  };

  return [seed, credentials, data, database, service];
}
