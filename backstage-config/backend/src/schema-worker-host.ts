/**
 * The worker thread that compiles the portal's config schemas while the plugins load
 * (src/schema-worker.ts), and what the backend asks it. Backstage compiles them in the main thread
 * at each start: the backend's to find the secrets that the root logger redacts (about 2 s of Ajv
 * on this machine), the app's to choose the configuration the frontend gets (about 1 s, in
 * plugin-app-backend). Here the build's serialized schemas (src/config-schema.ts) are compiled on
 * a second core from the first statement of src/index.ts on, and the main thread gets:
 * - `findSecrets`, for the root logger (src/root-logger.ts);
 * - `appSchema`, a ConfigSchema for plugin-app-backend (src/app-schema-module.ts) whose
 *   `process` the worker runs: synchronously, as the interface requires, by waiting on an
 *   Atomics signal for the worker's reply.
 * Without the build's files, or once the worker has failed (said in a warning), each falls back
 * to Backstage's own way in this thread: a start is then slower, never different.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import { type LoggerService, resolvePackagePath } from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import type { AppConfig, Config } from '@backstage/config';
import type { ConfigSchema, ConfigSchemaProcessingOptions } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { APP_PACKAGE, BACKEND_DIR, BUILT_CONFIG_SCHEMA } from './config-schema';
import type {
  ProcessReply,
  ProcessRequest,
  SchemaQuestion,
  SchemaReply,
  SchemaRequest,
  SchemaWorkerData,
} from './schema-worker';

/** The compiled worker (the build's, also when this module runs from src/ in a test). */
const SCHEMA_WORKER = path.join(BACKEND_DIR, 'dist', 'schema-worker.js');

/** How long a synchronous `process` waits for the worker before it fails. */
const PROCESS_TIMEOUT_MS = 60_000;

/** The values of a configuration that are secrets; `logger` gets what the enumerator logs. */
export type SecretFinder = (config: Config, logger: LoggerService) => Promise<Iterable<string>>;

/** What the worker serves the backend. */
export interface SchemaWorker {
  readonly findSecrets: SecretFinder;
  /**
   * The app's schema compiled in the worker, once it is: undefined without the build's files or
   * the app's, or when its compilation failed (then `logger` gets a warning).
   */
  appSchema(logger: LoggerService): Promise<ConfigSchema | undefined>;
  /** The file the worker compiles as the app's schema (plugin-app-backend's for APP_PACKAGE). */
  readonly appSchemaFile: string | undefined;
}

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

/** The schema plugin-app-backend reads from `appPackage`'s build, or undefined without one. */
export function appSchemaFileOf(appPackage: string): string | undefined {
  try {
    const file = resolvePackagePath(appPackage, 'dist', '.config-schema.json');
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Why the worker gave no answer to a request. */
const why = (reply: SchemaReply): string => ('error' in reply ? reply.error : 'no answer');

/** A ConfigSchema whose `process` runs in the worker, the caller waiting for its reply. */
function processedIn(port: MessagePort, signal: SharedArrayBuffer, file: string): ConfigSchema {
  const flag = new Int32Array(signal);
  return {
    process(appConfigs: AppConfig[], options?: ConfigSchemaProcessingOptions): AppConfig[] {
      if (options?.valueTransform !== undefined) {
        throw new Error('the worker-compiled app schema cannot run a valueTransform function');
      }
      Atomics.store(flag, 0, 0);
      port.postMessage({ appConfigs, options } satisfies ProcessRequest);
      if (Atomics.wait(flag, 0, 0, PROCESS_TIMEOUT_MS) === 'timed-out') {
        throw new Error(
          `the config schema worker did not process the app's configuration within ${PROCESS_TIMEOUT_MS / 1000} s`,
        );
      }
      const reply = receiveMessageOnPort(port)?.message as ProcessReply | undefined;
      if (reply === undefined) throw new Error('the config schema worker sent no reply');
      if ('error' in reply) throw new Error(reply.error);
      return reply.result;
    },
    serialize: () => JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject,
  };
}

/**
 * Starts the worker, compiling `schemaFile` (the backend's) and then `appSchemaFile` from now on.
 */
export function startSchemaWorker(
  o: { schemaFile?: string; appSchemaFile?: string | undefined; workerFile?: string } = {},
): SchemaWorker {
  const schemaFile = o.schemaFile ?? BUILT_CONFIG_SCHEMA;
  const workerFile = o.workerFile ?? SCHEMA_WORKER;
  const appSchemaFile = 'appSchemaFile' in o ? o.appSchemaFile : appSchemaFileOf(APP_PACKAGE);
  const fallback = inThisThread();
  if (!fs.existsSync(schemaFile) || !fs.existsSync(workerFile)) {
    return { findSecrets: fallback, appSchema: () => Promise.resolve(undefined), appSchemaFile };
  }
  const { port1, port2 } = new MessageChannel();
  // Neither the port nor the worker keeps the process alive, but while the worker is asked.
  port1.unref();
  const signal = new SharedArrayBuffer(4);
  const worker = new Worker(workerFile, {
    workerData: { schemaFile, appSchemaFile, port: port2, signal } satisfies SchemaWorkerData,
    transferList: [port2],
  });
  const pending = new Map<number, (reply: SchemaReply) => void>();
  let next = 0;
  let failed: string | undefined;
  worker.unref();
  const fail = (why: string): void => {
    failed ??= why;
    for (const [id, answer] of pending) answer({ id, error: why });
  };
  worker.on('message', (reply: SchemaReply) => pending.get(reply.id)?.(reply));
  worker.on('error', (error) => fail(String(error)));
  worker.on('exit', (code) => fail(`it exited with code ${code}`));
  const ask = (question: SchemaQuestion): Promise<SchemaReply> => {
    if (failed !== undefined) return Promise.resolve({ id: -1, error: failed });
    const id = next++;
    return new Promise<SchemaReply>((resolve) => {
      pending.set(id, resolve);
      worker.ref();
      worker.postMessage({ ...question, id } satisfies SchemaRequest);
    }).finally(() => {
      pending.delete(id);
      if (pending.size === 0) worker.unref();
    });
  };
  let warned = false;
  const findSecrets: SecretFinder = async (config, logger) => {
    const reply = await ask({ kind: 'secrets', data: config.getOptional<JsonObject>() ?? {} });
    if ('secrets' in reply) {
      for (const line of reply.info) logger.info(line);
      return reply.secrets;
    }
    if (!warned) {
      warned = true;
      logger.warn(
        `The config schema worker failed (${why(reply)}): collecting the config schema from the packages instead`,
      );
    }
    return fallback(config, logger);
  };
  const appSchema = async (logger: LoggerService): Promise<ConfigSchema | undefined> => {
    if (appSchemaFile === undefined) return undefined;
    const reply = await ask({ kind: 'app-schema' });
    if ('compiled' in reply) return processedIn(port1, signal, appSchemaFile);
    logger.warn(
      `The config schema worker did not compile the app's schema (${why(reply)}): plugin-app-backend compiles it instead`,
    );
    return undefined;
  };
  return { findSecrets, appSchema, appSchemaFile };
}
