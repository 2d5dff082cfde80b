/**
 * The schema of the stack configuration: every key, its type, default and what is allowed,
 * with the messages users see. stacks/config.ts parses with it, key by key: every rule about one
 * key lives in that key's schema (add a bound there); rules between keys live in
 * stacks/config-rules.ts, and both run in the same pass. Every schema states what is allowed in
 * its own words, type errors included, so that no validator wording reaches the user.
 */
import { z } from 'zod';
import { CONFIGURED_GROUP_PATH_MAX_LENGTH } from '../constructs/gitlab-paths';
import { isDnsLabel, isDnsSubdomain } from '../constructs/names';
import {
  GI_SIZE_PATTERN,
  HTTPS_URL_PATTERN,
  IMAGE_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
  S3_PATH_PATTERN,
  SEMVER_PATTERN,
} from '../infra/patterns';
import { GROUP_PATH_PATTERN } from '../constructs/team-namespace/schema';
import { versions } from '../versions';

/** The Pulumi project name (Pulumi.yaml), which namespaces every config key (`platform:baseDomain`). */
export const PROJECT = 'platform';

export const ADDONS = ['crossplane', 'kro', 'cloudnativePg', 'backstage', 'gitlab'] as const;
export type Addon = (typeof ADDONS)[number];

/** What each add-on needs enabled beside it, and why (checked by stacks/config-rules.ts). */
export const ADDON_NEEDS: Readonly<Partial<Record<Addon, readonly (readonly [Addon, string])[]>>> =
  {
    backstage: [
      ['cloudnativePg', 'its database'],
      ['gitlab', 'its sign-in'],
    ],
  };

/** A string that `test` accepts; `what` is said for anything else, non-strings included. */
const text = (what: string, test: (v: string) => boolean): z.ZodString =>
  z.string({ error: what }).refine(test, { error: what });
const matching = (what: string, pattern: RegExp): z.ZodString =>
  z.string({ error: what }).regex(pattern, { error: what });

const dnsName = (what: string): z.ZodString => text(what, isDnsSubdomain);
const groupPath = matching(
  'a GitLab group path of lowercase DNS-label segments, such as "acme/platform"',
  new RegExp(GROUP_PATH_PATTERN),
)
  // The shared templates' name budgets are derived from this bound (constructs/gitlab-paths.ts).
  .max(CONFIGURED_GROUP_PATH_MAX_LENGTH, {
    error: `a GitLab group path of at most ${CONFIGURED_GROUP_PATH_MAX_LENGTH} characters (the portal's templates append names to it)`,
  });
const httpsUrl = (what: string): z.ZodString => matching(what, HTTPS_URL_PATTERN);
/** GitLab access levels a member can be given (the provider's wire values). */
export const ACCESS_LEVELS = [
  'guest',
  'planner',
  'reporter',
  'developer',
  'maintainer',
  'owner',
] as const;

const userId = 'a GitLab user id (a positive integer)';
const member = z
  .object(
    {
      userId: z.number({ error: userId }).int({ error: userId }).positive({ error: userId }),
      accessLevel: z.enum(ACCESS_LEVELS, { error: `one of ${ACCESS_LEVELS.join(', ')}` }),
    },
    { error: strictObject('a member', ['userId', 'accessLevel']) },
  )
  .strict();

const customerGroup = z
  .object(
    {
      path: text('a group path segment: a DNS label such as "team-a"', isDnsLabel),
      name: z
        .string({ error: 'a non-empty name' })
        .min(1, { error: 'a non-empty name' })
        .max(255, { error: 'at most 255 characters' }),
      visibility: z
        .enum(['private', 'internal', 'public'], { error: 'one of private, internal, public' })
        .default('private'),
      members: z.array(member, { error: 'a list of members ({userId, accessLevel})' }).default([]),
    },
    { error: strictObject('a customer group', ['path', 'name', 'visibility', 'members']) },
  )
  .strict();

/**
 * The message of a strict object: a field it does not have is named as such (the problem's path
 * then ends at that field, see stacks/config.ts), anything else is not that object.
 */
function strictObject(what: string, fields: readonly string[]) {
  return (issue: { code?: string }): string =>
    issue.code === 'unrecognized_keys'
      ? `one of the fields of ${what}: ${fields.join(', ')}`
      : `${what}: an object with ${fields.join(', ')}`;
}

/** A chart version of the release line we test against (same major and minor as the pin). */
function chartVersion(pinned: string): z.ZodDefault<z.ZodString> {
  const line = pinned.split('.').slice(0, 2).join('.');
  return text(
    `an exact version of the supported ${line}.x line, such as "${pinned}"`,
    (v) => SEMVER_PATTERN.test(v) && v.startsWith(`${line}.`),
  ).default(pinned);
}

/**
 * Text the portal shows people (its title, the organization's name): printable characters only
 * (no line break, tab or other control character), not blank, at most `max` characters. Any
 * other character is fine: the stack's config layer escapes what Backstage would substitute.
 */
const displayText = (what: string, max: number, example: string): z.ZodString =>
  text(
    `${what} of 1 to ${max} characters, not blank, without control characters, such as "${example}"`,
    (v) => v.trim().length > 0 && [...v].length <= max && !/\p{Cc}/u.test(v),
  );

const instances = 'an integer from 1 to 9';
const s3Endpoint = (example: string): z.ZodString =>
  httpsUrl(`an https URL of an S3-compatible endpoint, such as "${example}"`);
const secretName = text('the name of a Secret in the portal namespace', isDnsSubdomain);

export const configSchema = z.object({
  baseDomain: dnsName('a DNS name such as "idp.example.com"'),
  backstageHost: dnsName('a DNS name such as "backstage.idp.example.com"').optional(),
  ingressClassName: text('the name of an IngressClass', isDnsSubdomain).default('nginx'),
  tlsSecretName: text('a Secret name (a DNS subdomain)', isDnsSubdomain).default('backstage-tls'),
  tlsClusterIssuer: text('the name of a cert-manager ClusterIssuer', isDnsSubdomain).optional(),
  storageClassName: text('the name of a StorageClass', isDnsSubdomain).optional(),
  gitlabUrl: httpsUrl(
    'an https URL without path or trailing slash, such as "https://gitlab.example.com"',
  )
    // Backstage's GitLab org provider writes the host into annotation keys (`<host>/team-path`,
    // `<host>/user-login`), which cannot hold a port: the catalog would refuse every Group and User.
    .refine((v) => !/:[0-9]+$/.test(v), {
      error:
        "an https URL without a port: the portal's catalog names annotations after the GitLab host, and a port makes them invalid",
    })
    .default('https://gitlab.com'),
  gitlabPlatformGroup: groupPath.default('platform'),
  gitlabPlatformTeamGroup: groupPath.default('platform/platform-team'),
  gitlabCustomersGroup: groupPath.default('platform/customers'),
  backstageImageRepository: matching(
    'an image repository with its registry and without tag, such as "ghcr.io/acme/platform-portal"',
    IMAGE_REPOSITORY_PATTERN,
  ).default(versions.backstage.image.repository),
  backstageImageTag: matching(
    'an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
    IMAGE_TAG_PATTERN,
  ).default(versions.backstage.image.tag),
  // The defaults are app-config.yaml's (what `npm run portal` shows); a test keeps them equal.
  portalTitle: displayText('a title', 80, 'ACME developer portal').default('Developer portal'),
  organizationName: displayText('a name', 80, 'ACME').default('Platform'),
  databaseInstances: z.coerce
    .number({ error: instances })
    .int({ error: instances })
    .min(1, { error: instances })
    .max(9, { error: instances })
    .default(2),
  databaseStorageSize: matching('a size in Gi such as "10Gi"', GI_SIZE_PATTERN).default('10Gi'),
  databaseBackupEnabled: z
    .enum(['true', 'false'], { error: 'true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  databaseBackupDestinationPath: matching(
    'an s3:// URL such as "s3://acme-backups/portal"',
    S3_PATH_PATTERN,
  ).optional(),
  databaseBackupEndpointUrl: s3Endpoint('https://s3.eu-west-1.amazonaws.com').optional(),
  databaseBackupCredentialsSecret: secretName.optional(),
  techdocsBucket: matching(
    'an S3 bucket name such as "acme-techdocs"',
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  ).optional(),
  techdocsRegion: matching('a region name such as "eu-west-1"', /^[a-z0-9-]{2,32}$/).default(
    'us-east-1',
  ),
  techdocsEndpoint: s3Endpoint('https://minio.example.com').optional(),
  techdocsCredentialsSecret: secretName.optional(),
  techdocsVolumeSize: matching('a size in Gi such as "5Gi"', GI_SIZE_PATTERN).default('5Gi'),
  crossplaneChartVersion: chartVersion(versions.crossplane.chart),
  kroChartVersion: chartVersion(versions.kro.chart),
  cloudnativePgChartVersion: chartVersion(versions.cloudnativePg.chart),
  backstageChartVersion: chartVersion(versions.backstage.chart),
  gitlabAgentChartVersion: chartVersion(versions.gitlabAgent.chart),
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
  gitlabClaimsProject: text('a project path: a DNS label such as "claims"', isDnsLabel).default(
    'claims',
  ),
  gitlabAdminToken: z
    .string({ error: 'a GitLab token' })
    .min(1, { error: 'a GitLab token' })
    .optional(),
  kubeContext: matching(
    'the name of a kubeconfig context',
    /^[A-Za-z0-9@:._/-]{1,253}$/,
  ).optional(),
});
