import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { codeSpans, plain, readmeTable } from '../testing/readme';
import { ADDON_NEEDS, CONFIG_KEYS, configSchema, SECRET_KEYS } from './config';

const table = readmeTable('### Configuration reference', 'key');
const row = (key: string): Readonly<Record<string, string>> => {
  const found = table.rows.find((r) => r.key === `\`${key}\``);
  if (found === undefined) {
    throw new Error(`no row for ${key} in the README's configuration reference`);
  }
  return found;
};

type Kind =
  | { readonly kind: 'string' | 'boolean' }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | {
      readonly kind: 'list';
      readonly options?: readonly string[];
      readonly fields?: readonly string[];
    };

/** What a key's schema accepts, read from the schema itself. */
function kindOf(key: string): Kind {
  let def = (configSchema.shape as Record<string, { def: any }>)[key].def;
  // Defaults, optionality and transforms wrap the schema that says what is accepted.
  while (['default', 'optional', 'pipe'].includes(def.type)) {
    def = (def.type === 'pipe' ? def.in : def.innerType).def;
  }
  switch (def.type) {
    case 'string':
      return { kind: 'string' };
    case 'number': {
      const checks = (def.checks ?? []).map((c: any) => c._zod.def);
      const bound = (check: string) => checks.find((c: any) => c.check === check)?.value as number;
      return { kind: 'integer', min: bound('greater_than'), max: bound('less_than') };
    }
    case 'enum':
      expect(Object.keys(def.entries).sort(), key).toEqual(['false', 'true']);
      return { kind: 'boolean' };
    case 'array': {
      const element = def.element.def;
      return element.type === 'enum'
        ? { kind: 'list', options: Object.keys(element.entries) }
        : { kind: 'list', fields: Object.keys(element.shape) };
    }
    default:
      throw new Error(
        `${key}: a schema of type ${def.type}; teach this test what the README says for it`,
      );
  }
}

describe("the README's configuration reference", () => {
  it('has one row per setting, no more', () => {
    expect(table.header).toEqual(['key', 'type', 'default', 'secret', 'notes']);
    expect(table.rows.map((r) => plain(r.key))).toEqual(CONFIG_KEYS);
  });

  it("gives each setting's type as the schema and Pulumi.yaml declare it", () => {
    const project = parse(fs.readFileSync(path.join(__dirname, '..', 'Pulumi.yaml'), 'utf8')) as {
      config: Record<string, { type: string }>;
    };
    for (const key of CONFIG_KEYS) {
      const type = row(key).type;
      const kind = kindOf(key);
      const declared = project.config[key]?.type;
      switch (kind.kind) {
        case 'string':
          expect(type, key).toMatch(/^string(: .+)?$/);
          expect(declared, key).toBe('string');
          break;
        case 'boolean':
          expect(type, key).toBe('boolean');
          expect(declared, key).toBe('boolean');
          break;
        case 'integer':
          expect(type, key).toBe(`integer ${kind.min}–${kind.max}`);
          expect(declared, key).toBe('integer');
          break;
        case 'list':
          expect(type, key).toMatch(/^list of /);
          if (kind.options !== undefined) {
            expect(codeSpans(type), key).toEqual(kind.options);
            expect(declared, key).toBe('array');
          } else {
            // A list of objects: project config cannot declare it (see Pulumi.yaml).
            expect(codeSpans(type), key).toEqual([`{${kind.fields!.join(', ')}}`]);
            expect(declared, key).toBeUndefined();
          }
      }
      // A chart version's line is the one of its default (the pinned version).
      const line = /`(\d+\.\d+)\.x`/.exec(type)?.[1];
      if (line !== undefined) {
        expect(String(configSchema.shape[key as 'kroChartVersion'].parse(undefined)), key).toMatch(
          new RegExp(`^${line.replace('.', '\\.')}\\.\\d+$`),
        );
      }
    }
  });

  it("gives each setting's default as the schema has it, and which are secret", () => {
    for (const key of CONFIG_KEYS) {
      const cell = row(key).default;
      const unset = configSchema.shape[key].safeParse(undefined);
      if (!unset.success) {
        expect(cell, key).toBe('required');
      } else if (unset.data === undefined) {
        expect(cell, key).toMatch(/^unset(: .+)?$/);
      } else if (Array.isArray(unset.data)) {
        const { options } = kindOf(key) as { options?: readonly string[] };
        expect(cell, key).toBe(
          unset.data.length === 0 ? 'none' : unset.data.length === options?.length ? 'all' : '?',
        );
      } else {
        expect(cell, key).toBe(`\`${String(unset.data)}\``);
      }
      expect(row(key).secret, key).toBe(
        (SECRET_KEYS as readonly string[]).includes(key) ? 'yes' : '',
      );
    }
  });

  it('says what each add-on needs beside it', () => {
    const notes = row('enabledAddons').notes;
    const said = Object.fromEntries(
      [...notes.matchAll(/`(\w+)` needs ((?:`\w+`(?:, | and )?)+)/g)].map((m) => [
        m[1],
        codeSpans(m[2]),
      ]),
    );
    expect(said).toEqual(
      Object.fromEntries(
        Object.entries(ADDON_NEEDS).map(([addon, needs]) => [addon, needs.map(([n]) => n)]),
      ),
    );
  });
});
