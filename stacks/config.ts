/**
 * The stack configuration: the only module that reads `pulumi.Config`. Raw values are parsed and
 * validated with one schema before any resource is declared; every problem is reported at once,
 * each naming the key, the value and what is allowed, as a `pulumi.RunError` (no stack trace).
 */
import * as pulumi from '@pulumi/pulumi';
import type { z } from 'zod';
import { isDnsSubdomain, show } from '../constructs/names';
import { configSchema } from './config-schema';

export { ACCESS_LEVELS, ADDONS, configSchema, type Addon } from './config-schema';

/** The Pulumi project name, which namespaces every config key (`platform:baseDomain`). */
export const PROJECT = 'platform';

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
  if (parsed.techdocsBucket !== undefined && parsed.techdocsCredentialsSecret === undefined) {
    problems.push(
      `${PROJECT}:techdocsCredentialsSecret is required when techdocsBucket is set (a Secret with TECHDOCS_ACCESS_KEY_ID and TECHDOCS_SECRET_ACCESS_KEY)`,
    );
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
 * This project's settings from stack config keyed `platform:<key>`, keyed `<key>`. Keys of other
 * namespaces (providers' own settings) are left to their owners.
 */
export function projectSettings(config: Readonly<Record<string, string>>): Record<string, string> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/** Reads this project's keys from the stack's configuration and parses them. */
export function loadConfig(): PlatformConfig {
  return parseConfig(projectSettings(pulumi.runtime.allConfig()));
}
