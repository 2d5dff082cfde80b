/**
 * The portal's config schema is compiled from every plugin's `config.d.ts` (seconds of CPU) once
 * per lockfile: later starts read its serialized form, which checks exactly as the compiled one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPortalConfigSchema } from './launch';

const URL = 'http://localhost:7007';
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-schema-'));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

describe("the portal's config schema", () => {
  it('is compiled once, kept under the key of the lockfile, and reused from there', async () => {
    const compiled = await loadPortalConfigSchema(cache);
    const files = fs.readdirSync(cache);
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    const reused = await loadPortalConfigSchema(cache);
    expect(reused.serialize()).toEqual(compiled.serialize());
    // Both refuse an undeclared key and accept a declared one, as `config:check --strict`.
    for (const schema of [compiled, reused]) {
      expect(() =>
        schema.process([{ context: 'x', data: { app: { baseUrl: URL, titel: 'x' } } }]),
      ).toThrow(/titel/);
      expect(() =>
        // The app's packages' schemas require backend.baseUrl too (one schema serves both).
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
    const serialized = JSON.parse(fs.readFileSync(file, 'utf8')) as { schemas: unknown[] };
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...serialized,
        schemas: [
          {
            path: 'test',
            value: {
              type: 'object',
              properties: { app: { type: 'object', properties: { baseUrl: { type: 'number' } } } },
            },
          },
        ],
      }),
    );
    const fromFile = await loadPortalConfigSchema(cache);
    expect(() => fromFile.process([{ context: 'x', data: { app: { baseUrl: URL } } }])).toThrow(
      /must be number/,
    );
  }, 120_000);
});
