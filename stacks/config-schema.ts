/**
 * The schema of the stack configuration: every key, its type, default and what is allowed,
 * with the messages users see. stacks/config.ts parses with it.
 */
import { z } from 'zod';
import { CONFIGURED_GROUP_PATH_MAX_LENGTH } from '../constructs/gitlab-paths';
import { isDnsLabel, isDnsSubdomain } from '../constructs/names';
import { GROUP_PATH_PATTERN } from '../constructs/team-namespace/schema';
import { versions } from '../infra/versions';

export const ADDONS = ['crossplane', 'kro', 'cloudnativePg', 'backstage', 'gitlab'] as const;
export type Addon = (typeof ADDONS)[number];

const dnsName = (what: string): z.ZodString =>
  z.string({ error: what }).refine(isDnsSubdomain, { error: what });
const groupPath = z
  .string({ error: 'a GitLab group path of lowercase DNS-label segments, such as "acme/platform"' })
  .regex(new RegExp(GROUP_PATH_PATTERN), {
    error: 'a GitLab group path of lowercase DNS-label segments, such as "acme/platform"',
  })
  // The shared templates' name budgets are derived from this bound (constructs/gitlab-paths.ts).
  .max(CONFIGURED_GROUP_PATH_MAX_LENGTH, {
    error: `a GitLab group path of at most ${CONFIGURED_GROUP_PATH_MAX_LENGTH} characters (the portal's templates append names to it)`,
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
  backstageImageRepository: z
    .string({ error: 'an image repository such as "ghcr.io/acme/platform-portal"' })
    .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, {
      error: 'an image repository without tag, such as "ghcr.io/acme/platform-portal"',
    })
    .default(versions.backstage.image.repository),
  backstageImageTag: z
    .string({ error: imageTag })
    .regex(/^((?!latest$)[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$/, {
      error: imageTag,
    })
    .default(versions.backstage.image.tag),
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
  techdocsBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      error: 'an S3 bucket name such as "acme-techdocs"',
    })
    .optional(),
  techdocsRegion: z
    .string()
    .regex(/^[a-z0-9-]{2,32}$/, { error: 'a region name such as "eu-west-1"' })
    .default('us-east-1'),
  techdocsEndpoint: z
    .string()
    .regex(/^https:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/, {
      error: 'an https URL of an S3-compatible endpoint, such as "https://minio.example.com"',
    })
    .optional(),
  techdocsCredentialsSecret: z
    .string()
    .refine((v) => isDnsSubdomain(v), { error: 'the name of a Secret in the portal namespace' })
    .optional(),
  techdocsVolumeSize: z
    .string()
    .regex(/^[1-9][0-9]{0,4}Gi$/, { error: 'a size in Gi such as "5Gi"' })
    .default('5Gi'),
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
  gitlabClaimsProject: z
    .string()
    .refine((v) => isDnsLabel(v), { error: 'a project path: a DNS label such as "claims"' })
    .default('claims'),
  gitlabAdminToken: z.string().min(1, { error: 'a GitLab token' }).optional(),
  kubeContext: z
    .string()
    .regex(/^[A-Za-z0-9@:._/-]{1,253}$/, { error: 'the name of a kubeconfig context' })
    .optional(),
});
