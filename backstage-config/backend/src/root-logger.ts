/**
 * The backend's root logger: Backstage's own (WinstonLogger, its level, meta and per-matcher
 * overrides from `backend.logger`, every secret of the configuration redacted), except where it
 * learns which values are secrets. Backstage's default collects the configuration schema from
 * every package's `config.d.ts` at each start, with TypeScript: the largest part of a start (about
 * 5 s of CPU on two cores). This one reads the schema the build serialized (src/config-schema.ts)
 * through the enumerator's `schema` option, and collects it as Backstage does only when the build
 * did not write it.
 */
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import {
  WinstonLogger,
  type WinstonLoggerLevelOverride,
  type WinstonLoggerOptions,
} from '@backstage/backend-defaults/rootLogger';
import type { Config } from '@backstage/config';
import type { ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { BUILT_CONFIG_SCHEMA, readSerialized } from './config-schema';

/** The levels an override may name: winston's npm levels, as Backstage checks them. */
const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/**
 * `backend.logger` (declared by @backstage/backend-defaults' config schema): the default level,
 * metadata on every line, and levels for the lines that match some metadata.
 */
function loggerConfig(config: Config): {
  level?: string;
  meta?: JsonObject;
  overrides: WinstonLoggerLevelOverride[];
} {
  const overrides = config.getOptionalConfigArray('backend.logger.overrides')?.map((o, i) => {
    const level = o.getString('level');
    if (!LEVELS.includes(level)) {
      throw new Error(
        `Invalid config at backend.logger.overrides[${i}].level, '${level}' is not a valid logging level, must be one of 'error', 'warn', 'info' or 'debug'.`,
      );
    }
    return {
      matchers: o.getConfig('matchers').get<WinstonLoggerLevelOverride['matchers']>(),
      level,
    };
  });
  return {
    level: config.getOptionalString('backend.logger.level'),
    meta: config.getOptionalConfig('backend.logger.meta')?.get<JsonObject>(),
    overrides: overrides ?? [],
  };
}

/**
 * The root logger for `config`, its secrets found with `schema` (collected from the installed
 * packages when undefined). `transports`: where lines go (the console by default).
 */
export async function createRootLogger(
  config: Config,
  schema: ConfigSchema | undefined,
  transports?: WinstonLoggerOptions['transports'],
): Promise<WinstonLogger> {
  const settings = loggerConfig(config);
  // LOG_LEVEL before the configured level, the format by NODE_ENV (JSON in production) and the
  // console: WinstonLogger.create's own defaults.
  const logger = WinstonLogger.create({
    meta: { service: 'backstage', ...settings.meta },
    level: settings.level ?? 'info',
    ...(transports !== undefined ? { transports } : {}),
  });
  const secrets = await createConfigSecretEnumerator({ logger, schema });
  logger.addRedactions(secrets(config));
  config.subscribe?.(() => logger.addRedactions(secrets(config)));
  logger.setLevelOverrides(settings.overrides);
  config.subscribe?.(() => logger.setLevelOverrides(loggerConfig(config).overrides));
  return logger;
}

/** Replaces Backstage's root logger in the backend (src/index.ts). */
export const rootLoggerServiceFactory = createServiceFactory({
  service: coreServices.rootLogger,
  deps: { config: coreServices.rootConfig },
  async factory({ config }) {
    return createRootLogger(config, await readSerialized(BUILT_CONFIG_SCHEMA, false));
  },
});
