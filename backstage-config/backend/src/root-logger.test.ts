/**
 * The backend's root logger finds the secrets it redacts with the schema the build serialized
 * (dist/.config-schema.json, compiled by the build's worker dist/secrets-worker.js, both built
 * before any test file by testing/global-setup.ts) exactly as Backstage's own finds them by
 * collecting the schema from the packages at every start, and keeps `backend.logger`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { describe, expect, it } from 'vitest';
import { transports } from 'winston';
import { BACKEND_DIR } from './config-schema';
import { createRootLogger, type SecretFinder, startSecretFinder } from './root-logger';

/** A configuration with secrets of several plugins, and values that are not secrets. */
const CONFIG: JsonObject = {
  backend: {
    baseUrl: 'http://localhost:7007',
    database: {
      client: 'pg',
      connection: { host: 'db', user: 'backstage', password: 'database-password-1' },
    },
    auth: {
      externalAccess: [{ type: 'static', options: { token: 'ci-token-22', subject: 'ci' } }],
    },
  },
  auth: {
    providers: {
      gitlab: {
        production: { clientId: 'client-id', clientSecret: 'oauth-secret-333' },
      },
    },
  },
  app: { title: 'not a secret' },
};

const silent: LoggerService = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => silent,
};

/** The build's worker, as a backend has one: started by the first logger that needs it. */
let finder: SecretFinder | undefined;

/** The lines a logger built by createRootLogger writes, and the logger. */
async function capture(config: JsonObject) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trimEnd().split('\n')));
  finder ??= startSecretFinder();
  const logger = await createRootLogger(new ConfigReader(config), finder, [
    new transports.Stream({ stream }),
  ]);
  return { logger, lines };
}

describe("the backend's root logger", () => {
  it('finds the same secrets with the built schema as Backstage does from the packages', async () => {
    const config = new ConfigReader(CONFIG);
    // In the worker, with the schema the build wrote; the enumerator's line is relayed.
    const info: string[] = [];
    finder ??= startSecretFinder();
    const built = await finder(config, { ...silent, info: (m) => void info.push(m) });
    expect(info).toEqual(['Found 3 new secrets in config that will be redacted']);
    expect([...built].sort()).toEqual(['ci-token-22', 'database-password-1', 'oauth-secret-333']);
    // Without the build's files: Backstage's own way in this thread, its default enumerator
    // (every package of the workspace, their config.d.ts compiled now), which finds the same.
    const missing = path.join(BACKEND_DIR, 'dist', 'no-such-schema.json');
    const collected = await startSecretFinder(missing)(config, silent);
    expect([...built].sort()).toEqual([...collected].sort());
  }, 120_000);

  it("falls back to Backstage's own way when the worker fails, and says so", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-schema-'));
    try {
      const broken = path.join(dir, '.config-schema.json');
      fs.writeFileSync(broken, '{"backstageConfigSchemaVersion": 1, "schemas": ');
      const warnings: string[] = [];
      const find = startSecretFinder(broken);
      const logger = { ...silent, warn: (m: string) => void warnings.push(m) };
      const config = new ConfigReader(CONFIG);
      for (let i = 0; i < 2; i++) {
        expect([...(await find(config, logger))].sort()).toEqual([
          'ci-token-22',
          'database-password-1',
          'oauth-secret-333',
        ]);
      }
      expect(warnings).toEqual([
        expect.stringMatching(
          /^The secrets worker failed \(SyntaxError: .*\): collecting the config schema from the packages instead$/,
        ),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('redacts every secret of the configuration from what it logs', async () => {
    const { logger, lines } = await capture(CONFIG);
    logger.info('connecting with database-password-1 and ci-token-22, as not a secret');
    const line = lines.find((l) => l.includes('connecting with'));
    expect(line).toContain('connecting with *** and ***, as not a secret');
    expect(lines.join('\n')).not.toMatch(/database-password-1|ci-token-22/);
  });

  it("keeps backend.logger's level, metadata and overrides", async () => {
    const { logger, lines } = await capture({
      ...CONFIG,
      backend: {
        ...(CONFIG.backend as JsonObject),
        logger: {
          level: 'warn',
          meta: { cluster: 'dev' },
          overrides: [{ matchers: { plugin: 'catalog' }, level: 'debug' }],
        },
      },
    });
    logger.info('an info line, below the level');
    logger.warn('a warning');
    logger.child({ plugin: 'catalog' }).debug('a debug line of the catalog');
    const text = lines.join('\n');
    expect(text).not.toContain('an info line');
    expect(text).toContain('a warning');
    expect(text).toContain('a debug line of the catalog');
    expect(text).toContain('dev');
  });

  it('refuses an override with a level that does not exist, naming it', async () => {
    await expect(
      capture({
        ...CONFIG,
        backend: {
          ...(CONFIG.backend as JsonObject),
          logger: { overrides: [{ matchers: { plugin: 'catalog' }, level: 'loud' }] },
        },
      }),
    ).rejects.toThrow(
      "Invalid config at backend.logger.overrides[0].level, 'loud' is not a valid logging level",
    );
  });
});
