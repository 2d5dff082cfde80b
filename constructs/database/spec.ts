/**
 * The spec of a PostgresDatabase instance, as Kro SimpleSchema fields. The RGD, the instance
 * CRD's OpenAPI schema and the portal's form all come from this one description.
 */
import type { SimpleObject } from '../kro/simple-schema';

/** A Kubernetes quantity of CPU (`250m`, `1`, `1.5`). */
export const CPU_PATTERN = '^([1-9][0-9]{0,5}m|[0-9]{1,3}(\\.[0-9]{1,3})?)$';
/** A Kubernetes quantity of memory in binary units (`512Mi`, `2Gi`). */
export const MEMORY_PATTERN = '^[1-9][0-9]{0,5}(Mi|Gi)$';
/** A volume size in binary units (`5Gi`, `1Ti`). */
export const STORAGE_PATTERN = '^[1-9][0-9]{0,4}(Gi|Ti)$';
/** A PostgreSQL identifier we accept for database and role names (no quoting ever needed). */
export const PG_IDENTIFIER_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';

export interface DatabaseSpecOptions {
  readonly versions: readonly string[];
  readonly defaultVersion: string;
  readonly defaultStorage: string;
}

export function databaseSpec(o: DatabaseSpecOptions): SimpleObject {
  const resources = (cpu: string, memory: string, what: string): SimpleObject => ({
    cpu: {
      type: 'string',
      description: `CPU ${what} of the PostgreSQL container (for example 250m or 1).`,
      default: cpu,
      pattern: CPU_PATTERN,
    },
    memory: {
      type: 'string',
      description: `Memory ${what} of the PostgreSQL container (for example 512Mi or 2Gi).`,
      default: memory,
      pattern: MEMORY_PATTERN,
    },
  });
  return {
    version: {
      type: 'string',
      description:
        'PostgreSQL major version. It cannot change after creation: a major upgrade needs a dump and restore into a new database.',
      enum: o.versions,
      default: o.defaultVersion,
      immutable: true,
    },
    storage: {
      type: 'string',
      description:
        'Size of the data volume (for example 5Gi). It can grow later if the storage class allows expansion; it cannot shrink.',
      default: o.defaultStorage,
      pattern: STORAGE_PATTERN,
    },
    database: {
      type: 'string',
      description: 'Name of the database created on first start.',
      default: 'app',
      pattern: PG_IDENTIFIER_PATTERN,
      immutable: true,
    },
    username: {
      type: 'string',
      description:
        'Name of the role that owns the database; its password is generated in the cluster.',
      default: 'app',
      pattern: PG_IDENTIFIER_PATTERN,
      immutable: true,
    },
    deletionProtection: {
      type: 'boolean',
      description:
        'While true, neither this database nor its data volume can be deleted. To delete: set it to false, wait until the volume is relabelled, then delete.',
      default: true,
    },
    resources: {
      requests: resources('250m', '512Mi', 'requested'),
      limits: resources('1', '1Gi', 'limit'),
    },
  };
}
