/**
 * The backend's root logger finds the secrets it redacts with the schema the build serialized
 * (dist/.config-schema.json, compiled by the build's worker dist/schema-worker.js, both built
 * before any test file by testing/global-setup.ts) exactly as Backstage's own finds them by
 * collecting the schema from the packages at every start, holds what is logged until it knows
 * them, and keeps `backend.logger`.
 */
import { execFileSync } from 'node:child_process';
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
import { createRootLogger, rootLoggerSettled } from './root-logger';
import { type SecretFinder, startSchemaWorker } from './schema-worker-host';

/** Backstage's enumerator through the worker, for the backend's schema `schemaFile`. */
const startSecretFinder = (schemaFile?: string): SecretFinder =>
  startSchemaWorker({ schemaFile, appSchemaFile: undefined }).findSecrets;

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
function capture(config: JsonObject, find?: SecretFinder) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trimEnd().split('\n')));
  finder ??= startSecretFinder();
  const logger = createRootLogger(new ConfigReader(config), find ?? finder, [
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
    // Meanwhile, without the build's files: Backstage's own way in this thread, its default
    // enumerator (every package of the workspace, their config.d.ts compiled now).
    const missing = path.join(BACKEND_DIR, 'dist', 'no-such-schema.json');
    const [built, collected] = await Promise.all([
      finder(config, { ...silent, info: (m: string) => void info.push(m) }),
      startSecretFinder(missing)(config, silent),
    ]);
    expect(info).toEqual(['Found 3 new secrets in config that will be redacted']);
    expect([...built].sort()).toEqual(['ci-token-22', 'database-password-1', 'oauth-secret-333']);
    // The same secrets.
    expect([...collected].sort()).toEqual([...built].sort());
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
          /^The config schema worker failed \(SyntaxError: .*\): collecting the config schema from the packages instead$/,
        ),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('redacts every secret of the configuration from what it logs', async () => {
    const { logger, lines } = capture(CONFIG);
    logger.info('connecting with database-password-1 and ci-token-22, as not a secret');
    await rootLoggerSettled();
    const line = lines.find((l) => l.includes('connecting with'));
    expect(line).toContain('connecting with *** and ***, as not a secret');
    expect(lines.join('\n')).not.toMatch(/database-password-1|ci-token-22/);
  });

  it('holds what is logged until the secrets are found, then passes it on redacted, in order', async () => {
    let answer: (secrets: string[]) => void = () => {};
    const slow: SecretFinder = () => new Promise((resolve) => (answer = resolve));
    const { logger, lines } = capture(CONFIG, slow);
    const before = Date.now();
    logger.info('first, with database-password-1');
    logger.child({ plugin: 'catalog' }).warn('second, with ci-token-22');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines).toEqual([]);
    const answered = Date.now();
    answer(['database-password-1', 'ci-token-22']);
    await rootLoggerSettled();
    logger.info('third, with oauth-secret-333');
    await new Promise((resolve) => setImmediate(resolve));
    // eslint-disable-next-line no-control-regex
    const plain = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(plain).toEqual([
      expect.stringMatching(/ backstage info first, with \*\*\*$/),
      expect.stringMatching(/ catalog warn second, with \*\*\*$/),
      expect.stringMatching(/ backstage info third, with oauth-secret-333$/),
    ]);
    // The held lines keep the time they were logged at, not the time they were passed on.
    for (const line of plain.slice(0, 2)) {
      const time = Date.parse(line.split(' ')[0]);
      expect(time).toBeGreaterThanOrEqual(before - 1);
      expect(time).toBeLessThan(answered);
    }
  });

  it('redacts every string of the configuration when its secrets cannot be found, and says so', async () => {
    const config = { app: { title: 'Portal Title' }, backend: { baseUrl: 'http://portal:7007' } };
    const { logger, lines } = capture(config, () => Promise.reject(new Error('no schema')));
    logger.info('serving Portal Title at http://portal:7007');
    await rootLoggerSettled();
    const text = lines.join('\n');
    expect(text).toContain('serving *** at ***');
    expect(text).not.toMatch(/Portal Title|http:\/\/portal:7007/);
    expect(text).toContain(
      "The configuration's secrets could not be found (Error: no schema): every configuration value is redacted from the logs",
    );
  });

  it('prints the lines it holds when the process exits first, every configuration string redacted', () => {
    const root = path.resolve(BACKEND_DIR, '..', '..');
    const script = [
      "const { ConfigReader } = require('@backstage/config');",
      "const { createRootLogger } = require('./backstage-config/backend/src/root-logger.ts');",
      "const config = new ConfigReader({ backend: { auth: { keys: [{ secret: 'never-found-secret' }] } } });",
      'const logger = createRootLogger(config, () => new Promise(() => {}));',
      "logger.info('exiting with never-found-secret');",
      'process.exit(3);',
    ].join('\n');
    let output = '';
    try {
      execFileSync(process.execPath, ['--require', './scripts/ts-require.cjs', '-e', script], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const e = error as { status: number; stdout: string };
      expect(e.status).toBe(3);
      output = e.stdout;
    }
    expect(output).toContain('exiting with ***');
    expect(output).not.toContain('never-found-secret');
  }, 60_000);

  it("keeps backend.logger's level, metadata and overrides", async () => {
    const { logger, lines } = capture({
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
    await rootLoggerSettled();
    const text = lines.join('\n');
    expect(text).not.toContain('an info line');
    expect(text).toContain('a warning');
    expect(text).toContain('a debug line of the catalog');
    expect(text).toContain('dev');
  });

  it('refuses an override with a level that does not exist, naming it', () => {
    expect(() =>
      capture({
        ...CONFIG,
        backend: {
          ...(CONFIG.backend as JsonObject),
          logger: { overrides: [{ matchers: { plugin: 'catalog' }, level: 'loud' }] },
        },
      }),
    ).toThrow(
      "Invalid config at backend.logger.overrides[0].level, 'loud' is not a valid logging level",
    );
  });
});
