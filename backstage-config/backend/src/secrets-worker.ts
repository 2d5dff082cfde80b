/**
 * The worker thread of src/secrets.ts: compiles the serialized config schema (`workerData`: its
 * file) as soon as it starts, then answers each configuration it is sent with the values
 * Backstage's secret enumerator finds in it, and what the enumerator logged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { readSerialized } from './config-schema';

/** What the main thread sends: a configuration's whole data. */
export interface SecretsRequest {
  readonly id: number;
  readonly data: JsonObject;
}

/** What it gets back: the secrets, and the enumerator's log lines (for the root logger). */
export type SecretsReply =
  | { readonly id: number; readonly secrets: string[]; readonly info: string[] }
  | { readonly id: number; readonly error: string };

const { schemaFile } = workerData as { schemaFile: string };
const info: string[] = [];
const logger: LoggerService = {
  info: (message) => void info.push(message),
  warn: (message) => void info.push(message),
  error: (message) => void info.push(message),
  debug: () => {},
  child: () => logger,
};
const enumerator = readSerialized(schemaFile, false).then((schema) => {
  if (schema === undefined) throw new Error(`${schemaFile} does not exist`);
  return createConfigSecretEnumerator({ logger, schema });
});
// Until the first request, a failure is reported to it (not an unhandled rejection).
enumerator.catch(() => {});

parentPort?.on('message', ({ id, data }: SecretsRequest) => {
  enumerator.then(
    (secretsOf) => {
      info.length = 0;
      const secrets = [...secretsOf(new ConfigReader(data))];
      parentPort?.postMessage({ id, secrets, info: [...info] } satisfies SecretsReply);
    },
    (error: unknown) => {
      parentPort?.postMessage({ id, error: String(error) } satisfies SecretsReply);
    },
  );
});
