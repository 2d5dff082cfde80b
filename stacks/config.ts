/**
 * The stack configuration: the only module that reads `pulumi.Config`. Raw values are parsed and
 * validated with one schema before any resource is declared; every problem is reported at once,
 * each naming the key, the value and what is allowed, as a `pulumi.RunError` (no stack trace).
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { isDnsLabel, isDnsSubdomain, show } from '../constructs/names';
import { GROUP_PATH_PATTERN } from '../constructs/team-namespace/schema';
import { versions } from '../infra/versions';

/** The Pulumi project name, which namespaces every config key (`platform:baseDomain`). */
export const PROJECT = 'platform';

export const ADDONS = ['crossplane', 'kro', 'cloudnativePg', 'backstage', 'gitlab'] as const;
export type Addon = (typeof ADDONS)[number];

const dnsName = (what: string): z.ZodString =>
  z.string({ error: what }).refine(isDnsSubdomain, { error: what });
const groupPath = z
  .string({ error: 'a GitLab group path of lowercase DNS-label segments, such as "acme/platform"' })
  .regex(new RegExp(GROUP_PATH_PATTERN), {
    error: 'a GitLab group path of lowercase DNS-label segments, such as "acme/platform"',
  });
/** GitLab access levels a member can be given (the provider's wire values). */
export const ACCESS_LEVELS = [
  'guest',
  'planner',
  'reporter',
  'developer',
  'maintainer',
  'owner',
] as const;

const customerGroup = z
  .object(
    {
      path: z.string().refine((v) => isDnsLabel(v), {
        error: 'a group path segment: a DNS label such as "team-a"',
      }),
      name: z
        .string()
        .min(1, { error: 'a non-empty name' })
        .max(255, { error: 'at most 255 characters' }),
      visibility: z
        .enum(['private', 'internal', 'public'], { error: 'one of private, internal, public' })
        .default('private'),
      members: z
        .array(
          z
            .object({
              userId: z.number().int().positive({ error: 'a GitLab user id (a positive integer)' }),
              accessLevel: z.enum(ACCESS_LEVELS, { error: `one of ${ACCESS_LEVELS.join(', ')}` }),
            })
            .strict(),
        )
        .default([]),
    },
    { error: 'an object with path, name, visibility and members' },
  )
  .strict();

const semver = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

/** A chart version of the release line we test against (same major and minor as the pin). */
function chartVersion(pinned: string): z.ZodDefault<z.ZodString> {
  const line = pinned.split('.').slice(0, 2).join('.');
  const what = `an exact version of the supported ${line}.x line, such as "${pinned}"`;
  return z
    .string({ error: what })
    .refine((v) => semver.test(v) && v.startsWith(`${line}.`), { error: what })
    .default(pinned);
}

const imageTag = 'an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"';

export const configSchema = z.object({
  baseDomain: dnsName('a DNS name such as "idp.example.com"'),
  backstageHost: dnsName('a DNS name such as "backstage.idp.example.com"').optional(),
  ingressClassName: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'the name of an IngressClass' })
    .default('nginx'),
  tlsSecretName: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'a Secret name (a DNS subdomain)' })
    .default('backstage-tls'),
  tlsClusterIssuer: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'the name of a cert-manager ClusterIssuer' })
    .optional(),
  storageClassName: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'the name of a StorageClass' })
    .optional(),
  gitlabUrl: z
    .string({
      error: 'an https URL without path or trailing slash, such as "https://gitlab.example.com"',
    })
    .regex(/^https:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/, {
      error: 'an https URL without path or trailing slash, such as "https://gitlab.example.com"',
    })
    .default('https://gitlab.com'),
  gitlabPlatformGroup: groupPath.default('platform'),
  gitlabPlatformTeamGroup: groupPath.default('platform/platform-team'),
  gitlabCustomersGroup: groupPath.default('platform/customers'),
  backstageImageRepository: z
    .string({ error: 'an image repository such as "ghcr.io/acme/platform-portal"' })
    .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, {
      error: 'an image repository without tag, such as "ghcr.io/acme/platform-portal"',
    }),
  backstageImageTag: z
    .string({ error: imageTag })
    .regex(/^((?!latest$)[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$/, {
      error: imageTag,
    }),
  databaseInstances: z.coerce
    .number({ error: 'an integer from 1 to 9' })
    .int({ error: 'an integer from 1 to 9' })
    .min(1, { error: 'an integer from 1 to 9' })
    .max(9, { error: 'an integer from 1 to 9' })
    .default(2),
  databaseStorageSize: z
    .string()
    .regex(/^[1-9][0-9]{0,4}Gi$/, { error: 'a size in Gi such as "10Gi"' })
    .default('10Gi'),
  databaseBackupEnabled: z
    .enum(['true', 'false'], { error: 'true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  databaseBackupDestinationPath: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._-]+)*\/?$/, {
      error: 'an s3:// URL such as "s3://acme-backups/portal"',
    })
    .optional(),
  databaseBackupEndpointUrl: z
    .string()
    .regex(/^https:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/, {
      error:
        'an https URL of an S3-compatible endpoint, such as "https://s3.eu-west-1.amazonaws.com"',
    })
    .optional(),
  databaseBackupCredentialsSecret: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'the name of a Secret in the portal namespace' })
    .optional(),
  crossplaneChartVersion: chartVersion(versions.crossplane.chart),
  kroChartVersion: chartVersion(versions.kro.chart),
  cloudnativePgChartVersion: chartVersion(versions.cloudnativePg.chart),
  backstageChartVersion: chartVersion(versions.backstage.chart),
  enabledAddons: z
    .array(z.enum(ADDONS, { error: `one of ${ADDONS.join(', ')}` }), {
      error: `a list of add-ons from ${JSON.stringify(ADDONS)}`,
    })
    .refine((a) => new Set(a).size === a.length, { error: 'a list without duplicates' })
    .default([...ADDONS]),
  gitlabCustomerGroups: z
    .array(customerGroup, {
      error: 'a list of customer groups ({path, name, visibility, members})',
    })
    .superRefine((groups, ctx) => {
      const seen = new Set<string>();
      groups.forEach((g, i) => {
        if (seen.has(g.path)) {
          ctx.addIssue({ code: 'custom', path: [i, 'path'], message: 'a path not listed before' });
        }
        seen.add(g.path);
      });
    })
    .default([]),
  gitlabAdminToken: z.string().min(1, { error: 'a GitLab token' }).optional(),
  kubeContext: z
    .string()
    .regex(/^[A-Za-z0-9@:._/-]{1,253}$/, { error: 'the name of a kubeconfig context' })
    .optional(),
});

type Parsed = z.output<typeof configSchema>;

/** Keys whose values are secret: never shown in messages, never part of PlatformConfig. */
export const SECRET_KEYS = ['gitlabAdminToken'] as const;
type SecretKey = (typeof SECRET_KEYS)[number];

/** Keys whose values are objects: Pulumi.yaml cannot declare a type for them. */
export const OBJECT_KEYS = ['gitlabCustomerGroups'] as const;

/** The validated, frozen configuration every component receives (secrets excluded). */
export type PlatformConfig = DeepReadonly<Omit<Parsed, SecretKey> & { backstageHost: string }>;
type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The config keys, for reading them and for the tests that compare them with Pulumi.yaml. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof Parsed)[];

/** Keys whose raw value is JSON (everything else is a plain string). */
const JSON_KEYS = new Set<string>(['enabledAddons', ...OBJECT_KEYS]);

/** A user error in the stack configuration: reported without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(public readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses raw config values (strings as Pulumi stores them, keyed without the project prefix).
 * Pure: the plan and the tests call it with plain objects.
 */
export function parseConfig(raw: Readonly<Record<string, string | undefined>>): PlatformConfig {
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      problems.push(
        `${PROJECT}:${key} is not a known setting; known settings: ${CONFIG_KEYS.join(', ')}`,
      );
    } else if (value !== undefined && JSON_KEYS.has(key)) {
      try {
        input[key] = JSON.parse(value);
      } catch {
        input[key] = value;
      }
    } else {
      input[key] = value;
    }
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0]);
      const nested = issue.path.slice(1);
      const where = `${PROJECT}:${key}${nested.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
      const value = nested.reduce<unknown>(
        (node, p) =>
          node !== null && typeof node === 'object'
            ? (node as Record<PropertyKey, unknown>)[p]
            : undefined,
        input[key],
      );
      if ((SECRET_KEYS as readonly string[]).includes(key)) {
        problems.push(
          `${where} is not allowed (value not shown: it is secret); expected ${issue.message}`,
        );
      } else if (value === undefined) {
        problems.push(`${where} is required; expected ${issue.message}`);
      } else {
        problems.push(
          `${where}: ${show(nested.length > 0 ? value : raw[key])} is not allowed; expected ${issue.message}`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const parsed = result.data!;
  if (
    parsed.enabledAddons.includes('backstage') &&
    !parsed.enabledAddons.includes('cloudnativePg')
  ) {
    problems.push(
      `${PROJECT}:enabledAddons: the backstage add-on needs cloudnativePg (its database)`,
    );
  }
  if (parsed.enabledAddons.includes('backstage') && !parsed.enabledAddons.includes('gitlab')) {
    problems.push(`${PROJECT}:enabledAddons: the backstage add-on needs gitlab (its sign-in)`);
  }
  if (parsed.enabledAddons.includes('gitlab')) {
    if (parsed.gitlabAdminToken === undefined) {
      problems.push(
        `${PROJECT}:gitlabAdminToken is required for the gitlab add-on; set it with \`pulumi config set --secret gitlabAdminToken\``,
      );
    }
    if (parsed.gitlabPlatformGroup.includes('/')) {
      problems.push(
        `${PROJECT}:gitlabPlatformGroup: ${show(parsed.gitlabPlatformGroup)} is not allowed; expected a top-level group path (one segment), which the stack creates`,
      );
    }
    for (const key of ['gitlabPlatformTeamGroup', 'gitlabCustomersGroup'] as const) {
      const value = parsed[key];
      if (!value.startsWith(`${parsed.gitlabPlatformGroup}/`) || value.split('/').length !== 2) {
        problems.push(
          `${PROJECT}:${key}: ${show(value)} is not allowed; expected a direct subgroup of gitlabPlatformGroup, such as "${parsed.gitlabPlatformGroup}/${key === 'gitlabCustomersGroup' ? 'customers' : 'platform-team'}"`,
        );
      }
    }
  }
  if (parsed.databaseBackupEnabled) {
    for (const key of [
      'databaseBackupDestinationPath',
      'databaseBackupCredentialsSecret',
    ] as const) {
      if (parsed[key] === undefined) {
        problems.push(`${PROJECT}:${key} is required when databaseBackupEnabled is true`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const backstageHost = parsed.backstageHost ?? `backstage.${parsed.baseDomain}`;
  if (!isDnsSubdomain(backstageHost)) {
    throw new ConfigError([
      `${PROJECT}:baseDomain: ${show(parsed.baseDomain)} is not allowed; expected a domain under which "backstage.<baseDomain>" is a valid host name`,
    ]);
  }
  const { gitlabAdminToken: _secret, ...config } = parsed;
  return deepFreeze({ ...config, backstageHost });
}

/** The secret settings, as secret Outputs (validated for presence by loadConfig). */
export function loadSecrets(): { readonly gitlabAdminToken: pulumi.Output<string> } {
  return { gitlabAdminToken: new pulumi.Config(PROJECT).requireSecret('gitlabAdminToken') };
}

/**
 * Reads this project's keys from the stack's configuration and parses them. Keys of other
 * namespaces (providers' own settings) are left to their owners.
 */
export function loadConfig(): PlatformConfig {
  const prefix = `${PROJECT}:`;
  const raw = Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  return parseConfig(raw);
}
