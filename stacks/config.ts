/**
 * The stack configuration: the only module that reads `pulumi.Config`. Raw values are parsed and
 * validated before any resource is declared (stacks/config-parse.ts, pure); every problem is
 * reported at once as a `pulumi.RunError`, which the engine prints without a stack trace.
 */
import * as pulumi from '@pulumi/pulumi';
import * as parse from './config-parse';
import { configMessage, ConfigProblems, PROJECT, type PlatformConfig } from './config-parse';

export { ACCESS_LEVELS, ADDON_NEEDS, ADDONS, configSchema, type Addon } from './config-schema';
export {
  CONFIG_KEYS,
  OBJECT_KEYS,
  OTHER_NAMESPACES,
  PROJECT,
  projectSettings,
  SECRET_KEYS,
  type PlatformConfig,
} from './config-parse';

/** A user error in the stack configuration: reported without a stack trace. */
export class ConfigError extends pulumi.RunError {
  /** `source`: where the configuration comes from (a stack file), when the reader knows it. */
  constructor(
    public readonly problems: readonly string[],
    source?: string,
  ) {
    super(configMessage(problems, source));
    this.name = 'ConfigError';
  }
}

/** `parse()`, its problems as a ConfigError. */
function reported<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof ConfigProblems ? new ConfigError(e.problems) : e;
  }
}

/**
 * Parses raw config values (strings as Pulumi stores them, keyed without the project prefix).
 * Pure: the plan and the tests call it with plain objects.
 */
export function parseConfig(raw: Readonly<Record<string, string | undefined>>): PlatformConfig {
  return reported(() => parse.parseConfig(raw));
}

/**
 * A stack's whole configuration, keyed `<namespace>:<key>` as Pulumi passes it to the program:
 * namespaces, keys and the rules between them, all in one pass.
 */
export function parseStackConfig(
  all: Readonly<Record<string, string | undefined>>,
): PlatformConfig {
  return reported(() => parse.parseStackConfig(all));
}

/** The secret settings, as secret Outputs (validated for presence by loadConfig). */
export function loadSecrets(): { readonly gitlabAdminToken: pulumi.Output<string> } {
  return { gitlabAdminToken: new pulumi.Config(PROJECT).requireSecret('gitlabAdminToken') };
}

/** Reads this project's keys from the stack's configuration and parses them. */
export function loadConfig(): PlatformConfig {
  return parseStackConfig(pulumi.runtime.allConfig());
}
