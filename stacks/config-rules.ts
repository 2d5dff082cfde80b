/**
 * The rules between settings (an add-on needs another, a setting needs another when a third is
 * on). stacks/config.ts runs them in the same pass as the per-key rules of
 * stacks/config-schema.ts: a rule runs when every key it reads is valid, so one run reports every
 * problem a user can fix at once; a rule that reads an invalid key is skipped, since that key is
 * already reported and the rule cannot be decided on it.
 */
import type { z } from 'zod';
import { isDnsSubdomain, show } from '../constructs/names';
import { ADDON_NEEDS, ADDONS, configSchema, PROJECT } from './config-schema';

export type Parsed = z.output<typeof configSchema>;
export type ConfigKey = keyof Parsed;

export interface CrossRule {
  /** The keys the rule reads: it runs only when all of them are valid. */
  readonly reads: readonly ConfigKey[];
  /** The problems, each naming the key, the value and what is allowed. */
  readonly check: (config: Partial<Parsed>) => readonly string[];
}

/** A rule that may read only the keys it declares (the type system holds it to that). */
function rule<const K extends ConfigKey>(
  reads: readonly K[],
  check: (config: Pick<Parsed, K>) => readonly string[],
): CrossRule {
  return { reads, check: (config) => check(config as Pick<Parsed, K>) };
}

const key = (k: ConfigKey): string => `${PROJECT}:${k}`;

export const CROSS_RULES: readonly CrossRule[] = [
  rule(['enabledAddons'], ({ enabledAddons }) =>
    ADDONS.filter((a) => enabledAddons.includes(a)).flatMap((addon) =>
      (ADDON_NEEDS[addon] ?? [])
        .filter(([needed]) => !enabledAddons.includes(needed))
        .map(
          ([needed, why]) =>
            `${key('enabledAddons')}: ${show(enabledAddons)} is not allowed; the ${addon} add-on needs ${needed} (${why})`,
        ),
    ),
  ),
  rule(['enabledAddons', 'gitlabAdminToken'], ({ enabledAddons, gitlabAdminToken }) =>
    enabledAddons.includes('gitlab') && gitlabAdminToken === undefined
      ? [
          `${key('gitlabAdminToken')} is required for the gitlab add-on; set it with \`pulumi config set --secret gitlabAdminToken\``,
        ]
      : [],
  ),
  rule(['enabledAddons', 'gitlabPlatformGroup'], ({ enabledAddons, gitlabPlatformGroup }) =>
    enabledAddons.includes('gitlab') && gitlabPlatformGroup.includes('/')
      ? [
          `${key('gitlabPlatformGroup')}: ${show(gitlabPlatformGroup)} is not allowed; expected a top-level group path (one segment), which the stack creates`,
        ]
      : [],
  ),
  ...(['gitlabPlatformTeamGroup', 'gitlabCustomersGroup'] as const).map((subgroup) =>
    rule(['enabledAddons', 'gitlabPlatformGroup', subgroup], (c) => {
      const value = c[subgroup];
      const parent = c.gitlabPlatformGroup;
      return c.enabledAddons.includes('gitlab') &&
        (!value.startsWith(`${parent}/`) || value.split('/').length !== 2)
        ? [
            `${key(subgroup)}: ${show(value)} is not allowed; expected a direct subgroup of gitlabPlatformGroup, such as "${parent}/${subgroup === 'gitlabCustomersGroup' ? 'customers' : 'platform-team'}"`,
          ]
        : [];
    }),
  ),
  ...(['databaseBackupDestinationPath', 'databaseBackupCredentialsSecret'] as const).map((needed) =>
    rule(['databaseBackupEnabled', needed], (c) =>
      c.databaseBackupEnabled && c[needed] === undefined
        ? [`${key(needed)} is required when databaseBackupEnabled is true`]
        : [],
    ),
  ),
  rule(
    ['techdocsBucket', 'techdocsCredentialsSecret'],
    ({ techdocsBucket, techdocsCredentialsSecret }) =>
      techdocsBucket !== undefined && techdocsCredentialsSecret === undefined
        ? [
            `${key('techdocsCredentialsSecret')} is required when techdocsBucket is set (a Secret with TECHDOCS_ACCESS_KEY_ID and TECHDOCS_SECRET_ACCESS_KEY)`,
          ]
        : [],
  ),
  rule(['baseDomain', 'backstageHost'], ({ baseDomain, backstageHost }) =>
    backstageHost === undefined && !isDnsSubdomain(`backstage.${baseDomain}`)
      ? [
          `${key('baseDomain')}: ${show(baseDomain)} is not allowed; expected a domain under which "backstage.<baseDomain>" is a valid host name (or set backstageHost)`,
        ]
      : [],
  ),
];
