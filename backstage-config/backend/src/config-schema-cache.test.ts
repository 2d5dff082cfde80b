/**
 * The portal's config schema is compiled from every plugin's `config.d.ts` (seconds of CPU) once
 * per lockfile: later starts read its serialized form, which checks exactly as the compiled one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ConfigSchema, loadConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { afterAll, describe, expect, it } from 'vitest';
import { serializedSchema } from '../../../testing/serialized-schema';
import { keptSchemaFile } from './config-check';
import { checkConfig, loadPortalConfigSchema } from './launch';

const URL = 'http://localhost:7007';
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-schema-'));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

/** A small schema, declaring the keys the checks below use (the portal's is config.test.ts's). */
const DECLARED = {
  type: 'object',
  properties: {
    app: { type: 'object', properties: { baseUrl: { type: 'string' } } },
    backend: {
      type: 'object',
      properties: {
        baseUrl: { type: 'string' },
        database: {
          type: 'object',
          properties: { client: { type: 'string' }, connection: { type: 'string' } },
        },
      },
    },
  },
};

describe("the portal's config schema", () => {
  it('is compiled once, kept under the key of the lockfile, and reused from there', async () => {
    // What is kept and reused is whatever the compilation gave: here Backstage's compilation of
    // a small schema, strict as the portal's (compiling the portal's from its packages costs
    // seconds; config.test.ts checks that one, kept or compiled).
    let compilations = 0;
    const compile = (): Promise<ConfigSchema> => {
      compilations += 1;
      return loadConfigSchema({
        serialized: serializedSchema(DECLARED),
        noUndeclaredProperties: true,
      });
    };
    const compiled = await loadPortalConfigSchema(cache, compile);
    const files = fs.readdirSync(cache);
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    const reused = await loadPortalConfigSchema(cache, compile);
    expect(compilations).toBe(1);
    expect(reused.serialize()).toEqual(compiled.serialize());
    // Both refuse an undeclared key and accept a declared one, as `config:check --strict`: the
    // reused one is read back strict too.
    for (const schema of [compiled, reused]) {
      expect(() =>
        schema.process([{ context: 'x', data: { app: { baseUrl: URL, titel: 'x' } } }]),
      ).toThrow(/titel/);
      expect(() =>
        schema.process([
          {
            context: 'x',
            data: {
              app: { baseUrl: URL },
              backend: {
                baseUrl: URL,
                database: { client: 'pg', connection: 'postgresql://localhost/backstage' },
              },
            },
          },
        ]),
      ).not.toThrow();
    }

    // What is reused is the file: a schema written there is the one that checks.
    const file = path.join(cache, files[0]);
    fs.writeFileSync(
      file,
      JSON.stringify(
        serializedSchema({
          type: 'object',
          properties: { app: { type: 'object', properties: { baseUrl: { type: 'number' } } } },
        }),
      ),
    );
    const fromFile = await loadPortalConfigSchema(cache, compile);
    expect(compilations).toBe(1);
    expect(() => fromFile.process([{ context: 'x', data: { app: { baseUrl: URL } } }])).toThrow(
      /must be number/,
    );
  }, 120_000);

  it('checks a configuration once: the same one with the same schema is not checked again', async () => {
    const dir = fs.mkdtempSync(path.join(cache, 'verdicts-'));
    // What this test is about is the verdicts, which are the same for any schema: the small one,
    // kept where the portal's would be (the portal's full schema costs seconds to read).
    const schemaFile = keptSchemaFile(dir)!;
    const writeSchema = (...more: JsonObject[]): void =>
      fs.writeFileSync(schemaFile, JSON.stringify(serializedSchema(DECLARED, ...more)));
    writeSchema();
    const layer = path.join(dir, 'app-config.yaml');
    fs.writeFileSync(
      layer,
      [
        'app: { baseUrl: "${BASE_URL}" }',
        'backend:',
        '  baseUrl: "${BASE_URL}"',
        '  database: { client: pg, connection: "postgresql://localhost:${DB_PORT}/backstage" }',
      ].join('\n'),
    );
    const env = { BASE_URL: URL, DB_PORT: '5432' };
    expect(await checkConfig([layer], env, dir)).toBe('checked');
    expect(await checkConfig([layer], env, dir)).toBe('unchanged');
    // What the backend would get differs: checked again, then remembered too.
    expect(await checkConfig([layer], { ...env, DB_PORT: '5433' }, dir)).toBe('checked');
    expect(await checkConfig([layer], { ...env, DB_PORT: '5433' }, dir)).toBe('unchanged');
    // No value in clear in what is kept: only hashes name the verdicts.
    const verdicts = fs.readdirSync(path.join(dir, 'checked'));
    expect(verdicts).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}$/),
    ]);
    // A configuration that fails is never remembered: it fails every time.
    fs.appendFileSync(layer, '\n  databse: {}\n');
    for (let i = 0; i < 2; i++) {
      await expect(checkConfig([layer], env, dir)).rejects.toThrow(/additionalProperty=databse/);
    }
    expect(fs.readdirSync(path.join(dir, 'checked'))).toHaveLength(2);
    // Another schema (here: the kept one replaced) is another verdict: checked again.
    fs.writeFileSync(layer, fs.readFileSync(layer, 'utf8').replace('\n  databse: {}\n', ''));
    expect(await checkConfig([layer], env, dir)).toBe('unchanged');
    writeSchema({ type: 'object', properties: { app: { type: 'object', required: ['title'] } } });
    await expect(checkConfig([layer], env, dir)).rejects.toThrow(/missingProperty=title/);
  }, 120_000);
});
