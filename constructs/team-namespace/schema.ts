import { DNS1123_LABEL_MAX_LENGTH } from '../names';
import { RESERVED_NAMESPACES_TEXT, unreservedNamespaceRule } from '../namespaces';
import type { OpenApiSchema } from '../openapi';
import { describeSizes, QUOTA_KEYS, type NamespaceSize, type QuotaLimits } from './sizes';

/**
 * A GitLab group full path restricted to segments that are DNS-1123 labels
 * (`acme/customers/team-a`), so that every value also yields a valid label value.
 */
export const GROUP_PATH_PATTERN =
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** A non-negative Kubernetes quantity (`500m`, `2`, `4Gi`, `1.5`). */
export const QUANTITY_PATTERN =
  '^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';

/** The most viewer groups a namespace can have; each gets its own RoleBinding. */
export const MAX_VIEWERS = 3;

const QUOTA_DESCRIPTIONS: Readonly<Record<keyof QuotaLimits, string>> = {
  requestsCpu: 'Total CPU all pods may request.',
  requestsMemory: 'Total memory all pods may request.',
  limitsCpu: 'Total CPU limit of all pods.',
  limitsMemory: 'Total memory limit of all pods.',
  requestsStorage: 'Total storage all PersistentVolumeClaims may request.',
  persistentVolumeClaims: 'Number of PersistentVolumeClaims.',
  pods: 'Number of pods.',
};

function quotaOverrideSchema(): OpenApiSchema {
  const properties: Record<string, OpenApiSchema> = {};
  for (const key of Object.keys(QUOTA_KEYS) as (keyof QuotaLimits)[]) {
    const description = `${QUOTA_DESCRIPTIONS[key]} Overrides the size's value for ResourceQuota "${QUOTA_KEYS[key]}".`;
    properties[key] =
      key === 'pods' || key === 'persistentVolumeClaims'
        ? { type: 'integer', description, minimum: 0, maximum: 10000 }
        : { type: 'string', description, pattern: QUANTITY_PATTERN, maxLength: 20 };
  }
  return {
    type: 'object',
    description: 'Explicit quota values; each one given replaces the value of the chosen size.',
    properties,
  };
}

export interface TeamNamespaceSchemaOptions {
  readonly sizes: Readonly<Record<string, NamespaceSize>>;
  readonly defaultSize: string;
}

/**
 * The `openAPIV3Schema` of the TeamNamespace XR. The template form for team namespaces is
 * generated from this schema, so descriptions are written for the people filling it in.
 */
export function teamNamespaceSchema(options: TeamNamespaceSchemaOptions): OpenApiSchema {
  return {
    type: 'object',
    // The XR's name becomes the namespace's name, which must be a DNS-1123 label. Crossplane
    // copies root-level rules into the XR's CRD (crossplane-runtime v2 pkg/xcrd) and itself only
    // caps XR names at 63 characters.
    'x-kubernetes-validations': [
      {
        rule: `self.metadata.name.size() <= ${DNS1123_LABEL_MAX_LENGTH} && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')`,
        message: `metadata.name becomes the namespace name: a DNS-1123 label of at most ${DNS1123_LABEL_MAX_LENGTH} characters`,
      },
      {
        rule: unreservedNamespaceRule('self.metadata.name'),
        message: `metadata.name becomes the namespace name: ${RESERVED_NAMESPACES_TEXT}`,
      },
    ],
    properties: {
      spec: {
        type: 'object',
        description: 'The namespace a team asks for.',
        required: ['owner'],
        properties: {
          owner: {
            type: 'string',
            description:
              'Full path of the GitLab group that owns the namespace (for example acme/customers/team-a). Its members get edit rights.',
            pattern: GROUP_PATH_PATTERN,
            minLength: 1,
            maxLength: DNS1123_LABEL_MAX_LENGTH,
          },
          viewers: {
            type: 'array',
            description: `Full paths of further GitLab groups whose members may view the namespace (at most ${MAX_VIEWERS}).`,
            maxItems: MAX_VIEWERS,
            'x-kubernetes-list-type': 'set',
            items: {
              type: 'string',
              pattern: GROUP_PATH_PATTERN,
              minLength: 1,
              maxLength: DNS1123_LABEL_MAX_LENGTH,
            },
          },
          size: {
            type: 'string',
            description: `Resource quota and container defaults. ${describeSizes(options.sizes)}.`,
            enum: Object.keys(options.sizes),
            default: options.defaultSize,
          },
          quota: quotaOverrideSchema(),
          deletionProtection: {
            type: 'boolean',
            description:
              'While true, neither this TeamNamespace nor its namespace can be deleted. Set it to false, wait for status.deletionProtection to be false, then delete.',
            default: true,
          },
        },
      },
      status: {
        type: 'object',
        properties: {
          namespace: {
            type: 'string',
            description: 'Name of the namespace, once it exists.',
          },
          phase: {
            type: 'string',
            description: 'Phase of the namespace (Active or Terminating).',
          },
          deletionProtection: {
            type: 'boolean',
            description: 'Whether the namespace is currently protected against deletion.',
          },
        },
      },
    },
  };
}
