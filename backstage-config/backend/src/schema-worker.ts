/**
 * The worker thread of src/schema-worker-host.ts. As soon as it starts, it compiles the serialized
 * config schemas (`workerData`): first the backend's (`schemaFile`), then the app's
 * (`appSchemaFile`, optional). It answers two kinds of requests:
 * - on its parent port: a configuration's secrets, as Backstage's secret enumerator finds them
 *   (and what the enumerator logged), and whether the app's schema compiled;
 * - on `port`, synchronously: the app schema's `process` of the given configurations. The main
 *   thread waits on `signal` (Atomics) until the reply is on the port.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import { type AppConfig, ConfigReader } from '@backstage/config';
import type { ConfigSchema, ConfigSchemaProcessingOptions } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { readSerialized } from './config-schema';

/** What the worker is started with. */
export interface SchemaWorkerData {
  readonly schemaFile: string;
  readonly appSchemaFile: string | undefined;
  /** Where the synchronous `process` requests come and their replies go. */
  readonly port: MessagePort;
  /** Set to 1 (and notified) once a synchronous reply is on `port`. */
  readonly signal: SharedArrayBuffer;
}

/** What the main thread asks on the parent port: a configuration's secrets, or the app schema. */
export type SchemaQuestion =
  { readonly kind: 'secrets'; readonly data: JsonObject } | { readonly kind: 'app-schema' };

/** A question as sent, with the id its reply has. */
export type SchemaRequest = SchemaQuestion & { readonly id: number };

/** The answers: the secrets and the enumerator's log lines, the app schema compiled, or why not. */
export type SchemaReply =
  | { readonly id: number; readonly secrets: string[]; readonly info: string[] }
  | { readonly id: number; readonly compiled: true }
  | { readonly id: number; readonly error: string };

/** A synchronous request on `port`: what ConfigSchema.process is called with. */
export interface ProcessRequest {
  readonly appConfigs: AppConfig[];
  readonly options: Omit<ConfigSchemaProcessingOptions, 'valueTransform'> | undefined;
}

/** Its reply: the processed configurations, or the message of what process threw. */
export type ProcessReply = { readonly result: AppConfig[] } | { readonly error: string };

const { schemaFile, appSchemaFile, port, signal } = workerData as SchemaWorkerData;
const flag = new Int32Array(signal);
const info: string[] = [];
const logger: LoggerService = {
  info: (message) => void info.push(message),
  warn: (message) => void info.push(message),
  error: (message) => void info.push(message),
  debug: () => {},
  child: () => logger,
};

async function compiled(file: string): Promise<ConfigSchema> {
  const schema = await readSerialized(file, false);
  if (schema === undefined) throw new Error(`${file} does not exist`);
  return schema;
}

const backendSchema = compiled(schemaFile);
const enumerator = backendSchema.then((schema) => createConfigSecretEnumerator({ logger, schema }));
// The app's schema after the backend's and the enumerator, which the root logger needs first: a
// compilation holds the thread, and any request with it.
const appSchema = enumerator
  .catch(() => undefined)
  .then(() =>
    appSchemaFile === undefined
      ? Promise.reject(new Error('no app schema was given'))
      : compiled(appSchemaFile),
  );
// Until the first request, a failure is reported to it (not an unhandled rejection).
enumerator.catch(() => {});
appSchema.catch(() => {});

const reply = (message: SchemaReply): void => parentPort?.postMessage(message);

parentPort?.on('message', (request: SchemaRequest) => {
  const { id } = request;
  const failed = (error: unknown): void => reply({ id, error: String(error) });
  if (request.kind === 'app-schema') {
    appSchema.then(() => reply({ id, compiled: true }), failed);
    return;
  }
  enumerator.then((secretsOf) => {
    info.length = 0;
    const secrets = [...secretsOf(new ConfigReader(request.data))];
    reply({ id, secrets, info: [...info] });
  }, failed);
});

port.on('message', ({ appConfigs, options }: ProcessRequest) => {
  const answer = (message: ProcessReply): void => {
    port.postMessage(message);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  appSchema
    .then((schema) => answer({ result: schema.process(appConfigs, options) }))
    .catch((error: unknown) =>
      answer({ error: error instanceof Error ? error.message : String(error) }),
    );
});
