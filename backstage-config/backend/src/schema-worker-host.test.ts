/**
 * The app's config schema as the worker compiles it (src/schema-worker-host.ts) gives
 * plugin-app-backend exactly what Backstage's own compilation of the same file gives: the
 * configuration the frontend gets, and the same error for a configuration the schema refuses.
 * The schemas are the build's (testing/global-setup.ts builds the portal first).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { AppConfig } from '@backstage/config';
import { loadConfigSchema, readEnvConfig } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializedSchema } from '../../../testing/serialized-schema';
import { APP_DIR, APP_PACKAGE, BACKEND_DIR } from './config-schema';
import { appSchemaFileOf, startSchemaWorker } from './schema-worker-host';

const LAYERS = ['app-config.yaml', 'app-config.local.yaml'].map(
  (f) => parse(fs.readFileSync(path.resolve(BACKEND_DIR, '..', f), 'utf8')) as JsonObject,
);
const warnings: string[] = [];
const logger: LoggerService = {
  info: () => {},
  warn: (m) => void warnings.push(m),
  error: () => {},
  debug: () => {},
  child: () => logger,
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-schema-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A small backend schema, for the worker to compile first (as it does the backend's, which these
 * tests do not need): the keys' secrets only.
 */
const BACKEND_SCHEMA = path.join(dir, 'backend-schema.json');
fs.writeFileSync(
  BACKEND_SCHEMA,
  JSON.stringify(
    serializedSchema({
      type: 'object',
      properties: {
        backend: {
          type: 'object',
          properties: {
            auth: {
              type: 'object',
              properties: {
                keys: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { secret: { type: 'string', visibility: 'secret' } },
                  },
                },
              },
            },
          },
        },
      },
    }),
  ),
);

/** What plugin-app-backend's readFrontendConfig hands the schema: the env's layers, then the app's. */
function appConfigs(env: NodeJS.ProcessEnv, ...layers: JsonObject[]): AppConfig[] {
  return [...readEnvConfig(env), ...layers.map((data, i) => ({ data, context: `layer-${i}` }))];
}

describe("the app's config schema compiled in the worker", () => {
  const file = appSchemaFileOf(APP_PACKAGE);

  it("is the schema plugin-app-backend reads for the portal's app", () => {
    expect(file).toBe(path.join(APP_DIR, 'dist', '.config-schema.json'));
    expect(LAYERS[0]).toMatchObject({ app: { packageName: APP_PACKAGE } });
    expect(JSON.parse(fs.readFileSync(path.join(APP_DIR, 'package.json'), 'utf8'))).toMatchObject({
      name: APP_PACKAGE,
    });
    expect(appSchemaFileOf('@platform/no-such-app')).toBeUndefined();
  });

  it('processes configurations as Backstage compiling the same file does', async () => {
    const serialized = JSON.parse(fs.readFileSync(file!, 'utf8')) as JsonObject;
    // The worker's compilation and Backstage's own in this thread, at once.
    const [schema, own] = await Promise.all([
      startSchemaWorker({ schemaFile: BACKEND_SCHEMA }).appSchema(logger),
      loadConfigSchema({ serialized }),
    ]);
    expect(schema).toBeDefined();
    const env = { APP_CONFIG_app_title: '"From the env"', APP_CONFIG_backend_secret: 'x' };
    const inputs = appConfigs(env, ...LAYERS, {
      app: { title: 'Portal' },
      auth: { providers: { gitlab: { development: { clientSecret: 'secret-1' } } } },
    });
    for (const options of [
      { visibility: ['frontend' as const], withDeprecatedKeys: true },
      { visibility: ['frontend' as const, 'secret' as const], withFilteredKeys: true },
      undefined,
    ]) {
      const processed = schema!.process(inputs, options);
      expect(processed).toEqual(own.process(inputs, options));
    }
    // The frontend's share holds no secret, and the env's layer is there.
    const frontend = JSON.stringify(schema!.process(inputs, { visibility: ['frontend'] }));
    expect(frontend).toContain('From the env');
    expect(frontend).not.toContain('secret-1');
    expect(schema!.serialize()).toEqual(serialized);
    // A configuration the schema refuses: the same error, thrown in this thread.
    const refused = appConfigs({}, { app: { title: { not: 'a string' } } });
    let message = '';
    try {
      own.process(refused);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(() => schema!.process(refused)).toThrow(message);
    expect(() => schema!.process(refused, { valueTransform: (v) => v })).toThrow(
      'the worker-compiled app schema cannot run a valueTransform function',
    );
  }, 120_000);

  it('leaves the schema to plugin-app-backend when the worker cannot compile it, and says so', async () => {
    const broken = path.join(dir, '.config-schema.json');
    fs.writeFileSync(
      broken,
      '{"backstageConfigSchemaVersion": 1, "schemas": [{"path": "x", "value": {"type": 12}}]}',
    );
    warnings.length = 0;
    const worker = startSchemaWorker({ schemaFile: BACKEND_SCHEMA, appSchemaFile: broken });
    expect(await worker.appSchema(logger)).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(
        /^The config schema worker did not compile the app's schema \(Error: .*\): plugin-app-backend compiles it instead$/,
      ),
    ]);
    // Its other work goes on: the backend's schema compiled, secrets found.
    const { ConfigReader } = await import('@backstage/config');
    const secrets = await worker.findSecrets(
      new ConfigReader({ backend: { auth: { keys: [{ secret: 'key-secret-1' }] } } }),
      logger,
    );
    expect([...secrets]).toEqual(['key-secret-1']);
  }, 120_000);
});
