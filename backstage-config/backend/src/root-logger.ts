/**
 * The backend's root logger: Backstage's own (WinstonLogger, its level, meta and per-matcher
 * overrides from `backend.logger`, every secret of the configuration redacted), except where it
 * learns which values are secrets. Backstage's default collects the configuration schema from
 * every package at each start (TypeScript for the `config.d.ts` files, then Ajv: about 5 s of CPU
 * on two cores, before any plugin starts). This one finds them with Backstage's same enumerator
 * and the schema the build serialized (src/config-schema.ts), compiled in a worker thread that
 * starts with the backend (src/secrets-worker.ts): on a second core, the compilation is over by
 * the time the main thread has loaded the plugins. Without the build's files, it collects the
 * schema as Backstage does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  coreServices,
  createServiceFactory,
  type LoggerService,
  type RootLoggerService,
  type ServiceFactory,
} from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import {
  WinstonLogger,
  type WinstonLoggerLevelOverride,
  type WinstonLoggerOptions,
} from '@backstage/backend-defaults/rootLogger';
import type { Config } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { BACKEND_DIR, BUILT_CONFIG_SCHEMA } from './config-schema';
import type { SecretsReply, SecretsRequest } from './secrets-worker';

/** The compiled worker (the build's, also when this module runs from src/ in a test). */
const SECRETS_WORKER = path.join(BACKEND_DIR, 'dist', 'secrets-worker.js');

/** The values of a configuration that are secrets; `logger` gets what the enumerator logs. */
export type SecretFinder = (config: Config, logger: LoggerService) => Promise<Iterable<string>>;

/**
 * Backstage's own enumerator, the schema collected from the packages: one per process (the
 * packages do not change while it runs, and a backend has one root logger, the logger that the
 * enumerator keeps from its first use).
 */
let enumerator: Promise<(config: Config) => Iterable<string>> | undefined;

/** Backstage's own way: the enumerator in this thread. */
function inThisThread(): SecretFinder {
  return async (config, logger) => {
    enumerator ??= createConfigSecretEnumerator({ logger });
    return (await enumerator)(config);
  };
}

/**
 * Starts finding secrets: the worker, compiling `schemaFile` from now on. Without the build's
 * files, or once the worker has failed (said in a warning), Backstage's own way: a start is then
 * slower, never less redacted.
 */
export function startSecretFinder(
  schemaFile: string = BUILT_CONFIG_SCHEMA,
  workerFile: string = SECRETS_WORKER,
): SecretFinder {
  const fallback = inThisThread();
  if (!fs.existsSync(schemaFile) || !fs.existsSync(workerFile)) return fallback;
  const worker = new Worker(workerFile, { workerData: { schemaFile } });
  const pending = new Map<number, (reply: SecretsReply) => void>();
  let next = 0;
  let failed: string | undefined;
  // The worker keeps the process alive only while it is asked something.
  worker.unref();
  const fail = (why: string): void => {
    failed ??= why;
    for (const [id, answer] of pending) answer({ id, error: why });
  };
  worker.on('message', (reply: SecretsReply) => pending.get(reply.id)?.(reply));
  worker.on('error', (error) => fail(String(error)));
  worker.on('exit', (code) => fail(`it exited with code ${code}`));
  const ask = (data: JsonObject): Promise<SecretsReply> => {
    const id = next++;
    return new Promise<SecretsReply>((resolve) => {
      pending.set(id, resolve);
      worker.ref();
      worker.postMessage({ id, data } satisfies SecretsRequest);
    }).finally(() => {
      pending.delete(id);
      if (pending.size === 0) worker.unref();
    });
  };
  let warned = false;
  return async (config, logger) => {
    if (failed === undefined) {
      const reply = await ask(config.getOptional<JsonObject>() ?? {});
      if (!('error' in reply)) {
        for (const line of reply.info) logger.info(line);
        return reply.secrets;
      }
      failed ??= reply.error;
    }
    if (!warned) {
      warned = true;
      logger.warn(
        `The secrets worker failed (${failed}): collecting the config schema from the packages instead`,
      );
    }
    return fallback(config, logger);
  };
}

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
 * The root logger for `config`, its secrets found by `findSecrets`, again at each change of the
 * configuration. `transports`: where lines go (the console by default).
 */
export async function createRootLogger(
  config: Config,
  findSecrets: SecretFinder,
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
  logger.addRedactions(await findSecrets(config, logger));
  config.subscribe?.(() => {
    findSecrets(config, logger).then(
      (secrets) => logger.addRedactions(secrets),
      (error: unknown) => logger.error(String(error)),
    );
  });
  logger.setLevelOverrides(settings.overrides);
  config.subscribe?.(() => logger.setLevelOverrides(loggerConfig(config).overrides));
  return logger;
}

/** Replaces Backstage's root logger in the backend (src/index.ts), with secrets found by `find`. */
export function rootLoggerServiceFactory(
  find: SecretFinder,
): ServiceFactory<RootLoggerService, 'root', 'singleton'> {
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: { config: coreServices.rootConfig },
    factory: ({ config }) => createRootLogger(config, find),
  });
}
