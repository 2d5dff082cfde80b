/**
 * The backend's root logger: Backstage's own (WinstonLogger, its level, meta and per-matcher
 * overrides from `backend.logger`, every secret of the configuration redacted), except where it
 * learns which values are secrets. Backstage's default collects the configuration schema from
 * every package at each start (TypeScript for the `config.d.ts` files, then Ajv: about 5 s of CPU
 * on two cores, before any plugin starts). This one finds them with Backstage's same enumerator
 * and the schema the build serialized (src/config-schema.ts), compiled in a worker thread that
 * starts with the backend (src/schema-worker-host.ts). Without the build's files, it collects the
 * schema as Backstage does.
 */
import {
  coreServices,
  createServiceFactory,
  type RootLoggerService,
  type ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  WinstonLogger,
  type WinstonLoggerLevelOverride,
} from '@backstage/backend-defaults/rootLogger';
import type { Config } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { type Logform, transports as winstonTransports } from 'winston';
import TransportStream from 'winston-transport';
import type { SecretFinder } from './schema-worker-host';

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

/** A transport's levels, which winston-transport sets but does not declare. */
type Levelled = { levels?: Record<string, number> };

/**
 * Lines held until the configuration's secrets are known, then passed to `targets`, redacted as
 * the logger would have redacted them: the backend starts its plugins meanwhile instead of waiting
 * for the schema worker. `release` passes them on (in order, with the time they were logged) and
 * every later line at once.
 */
class HeldLines extends TransportStream {
  #held: Logform.TransformableInfo[] | undefined = [];
  readonly #targets: TransportStream[];

  constructor(targets: TransportStream[]) {
    super();
    this.#targets = targets;
  }

  override log(info: Logform.TransformableInfo, next: () => void): void {
    if (this.#held === undefined) this.#forward(info);
    else this.#held.push(info);
    next();
  }

  /** Whether lines are still held. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** Passes the held lines on, each redacted of `secrets` first; from now on, every line. */
  release(secrets: Iterable<string>): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    const redacter = WinstonLogger.redacter();
    redacter.add(secrets);
    for (const info of held)
      this.#forward(redacter.format.transform(info) as Logform.TransformableInfo);
  }

  #forward(info: Logform.TransformableInfo): void {
    for (const target of this.#targets) {
      // As the logger's own pipe to a transport sets them (winston-transport's 'pipe' handler).
      (target as Levelled).levels ??= (this as Levelled).levels;
      target.write(info);
    }
  }
}

/** Every string of the configuration: what is redacted when its secrets cannot be found. */
function everyString(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) everyString(v, into);
  }
  return into;
}

/** The secret lookups of loggers still holding lines (rootLoggerSettled awaits them). */
const lookups = new Set<Promise<void>>();

/** Resolves once every root logger has found its secrets and passed its held lines on. */
export async function rootLoggerSettled(): Promise<void> {
  await Promise.all([...lookups]);
}

/**
 * The root logger for `config`, its secrets found by `findSecrets`, again at each change of the
 * configuration. It is returned at once: the lines logged before the secrets are found are held,
 * and passed on redacted once they are (src/index.ts awaits rootLoggerSettled before it exits). If
 * they cannot be found, every string of the configuration is redacted instead, and the logger
 * says so. `transports`: where lines go (the console by default).
 */
export function createRootLogger(
  config: Config,
  findSecrets: SecretFinder,
  transports?: TransportStream | TransportStream[],
): WinstonLogger {
  const settings = loggerConfig(config);
  const targets =
    transports === undefined ? [new winstonTransports.Console()] : [transports].flat();
  const held = new HeldLines(targets);
  // LOG_LEVEL before the configured level, the format by NODE_ENV (JSON in production): as
  // WinstonLogger.create's own defaults.
  const logger = WinstonLogger.create({
    meta: { service: 'backstage', ...settings.meta },
    level: settings.level ?? 'info',
    transports: [held],
  });
  logger.setLevelOverrides(settings.overrides);
  config.subscribe?.(() => logger.setLevelOverrides(loggerConfig(config).overrides));
  const release = (secrets: Iterable<string>): void => {
    const all = [...secrets];
    logger.addRedactions(all);
    held.release(all);
  };
  const releaseAllRedacted = (): void => release(everyString(config.getOptional()));
  // A process that exits before the secrets are found still prints what it logged: with every
  // string of the configuration redacted.
  const atExit = (): void => {
    if (held.holding) releaseAllRedacted();
  };
  process.once('exit', atExit);
  const lookup = findSecrets(config, logger).then(release, (error: unknown) => {
    releaseAllRedacted();
    logger.error(
      `The configuration's secrets could not be found (${String(error)}): every configuration value is redacted from the logs`,
    );
  });
  lookups.add(lookup);
  void lookup.finally(() => {
    lookups.delete(lookup);
    process.removeListener('exit', atExit);
  });
  config.subscribe?.(() => {
    findSecrets(config, logger).then(
      (secrets) => logger.addRedactions(secrets),
      (error: unknown) => logger.error(String(error)),
    );
  });
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
