import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runScript, TEST_TIMEOUT_MS } from '../../testing/cli';
import {
  documentedValues,
  parseHeader,
  providerSnapshot,
  PROSE_KEYWORDS,
  renderHeader,
  stripProse,
} from './snapshot';
import { MANIFEST as BACKSTAGE_RELEASE_MANIFEST } from '../backstage-release';
import { SNAPSHOT_DIR, UPSTREAM_SOURCES, upstreamUrl } from './sources';

const root = path.resolve(__dirname, '..', '..');

describe('schema snapshots', () => {
  it('drop prose keywords only where they are keywords', () => {
    const schema = {
      type: 'object',
      description: 'A thing.',
      title: 'Thing',
      required: ['description'],
      properties: {
        description: { type: 'string', description: 'The field named description.' },
        title: { type: 'string', example: 'x' },
        size: {
          type: 'string',
          enum: ['small', 'large'],
          default: 'small',
          'x-kubernetes-validations': [{ rule: 'self != ""', message: 'must not be empty' }],
        },
        config: { type: 'object', default: { description: 'data, not prose' } },
      },
      items: [{ $comment: 'c', type: 'integer', minimum: 1 }],
    };
    expect(stripProse(schema)).toEqual({
      type: 'object',
      required: ['description'],
      properties: {
        description: { type: 'string' },
        title: { type: 'string' },
        size: {
          type: 'string',
          enum: ['small', 'large'],
          default: 'small',
          'x-kubernetes-validations': [{ rule: 'self != ""', message: 'must not be empty' }],
        },
        config: { type: 'object', default: { description: 'data, not prose' } },
      },
      items: [{ type: 'integer', minimum: 1 }],
    });
  });

  it('read valid values from a Pulumi description, in their wire (HCL) spelling', () => {
    const description =
      'Scopes of the application. Valid values are: `api`, <span pulumi-lang-nodejs="`readApi`" pulumi-lang-hcl="`read_api`">`readApi`</span>, `openid`.';
    expect(documentedValues(description)).toEqual(['api', 'read_api', 'openid']);
    expect(documentedValues('No list here.')).toBeUndefined();
    expect(documentedValues(undefined)).toBeUndefined();
  });

  it('keep of a provider schema the named resources and the types they reach, with values', () => {
    const schema = {
      provider: { inputProperties: { token: { type: 'string', description: 'The token.' } } },
      resources: {
        'p:index/a:A': {
          inputProperties: {
            scopes: {
              type: 'array',
              items: { type: 'string' },
              description: 'Valid values are: `x`, `y`.',
            },
            rotation: { $ref: '#/types/p:index/Rot:Rot' },
          },
          requiredInputs: ['scopes'],
        },
        'p:index/b:B': { inputProperties: { unused: { type: 'string' } } },
      },
      types: {
        'p:index/Rot:Rot': {
          type: 'object',
          properties: { kind: { $ref: '#/types/p:index/Kind:Kind' } },
          required: ['kind'],
        },
        'p:index/Kind:Kind': { type: 'string', enum: [{ value: 'k1' }, { value: 'k2' }] },
        'p:index/Other:Other': { type: 'object', properties: {} },
      },
    };
    expect(providerSnapshot(schema, ['p:index/a:A'])).toEqual({
      provider: { inputProperties: { token: { type: 'string' } }, requiredInputs: [] },
      resources: {
        'p:index/a:A': {
          inputProperties: {
            rotation: { $ref: '#/types/p:index/Rot:Rot' },
            scopes: { type: 'array', items: { type: 'string', values: ['x', 'y'] } },
          },
          requiredInputs: ['scopes'],
        },
      },
      types: {
        'p:index/Kind:Kind': { type: 'string', enum: ['k1', 'k2'] },
        'p:index/Rot:Rot': {
          type: 'object',
          properties: { kind: { $ref: '#/types/p:index/Kind:Kind' } },
          required: ['kind'],
        },
      },
    });
    expect(() => providerSnapshot(schema, ['p:index/c:C'])).toThrow(
      'p:index/c:C is not a resource of the provider schema',
    );
  });

  it('record their source in a header that reads back', () => {
    const header = {
      project: 'o/r',
      tag: 'v1.2.3',
      path: 'a/b.yaml',
      url: 'https://example.com/x',
      sha256: 'ab'.repeat(32),
    };
    expect(parseHeader(`${renderHeader(header)}kind: X\n`)).toEqual(header);
    expect(() => parseHeader('kind: X\n')).toThrow('snapshot header without project');
  });

  it('come from the release URLs of the pinned versions', () => {
    const urls = UPSTREAM_SOURCES.map(upstreamUrl);
    expect(urls).toContain(
      'https://raw.githubusercontent.com/crossplane/crossplane/v2.3.4/cluster/crds/apiextensions.crossplane.io_compositeresourcedefinitions.yaml',
    );
    expect(urls).toContain(
      'https://raw.githubusercontent.com/kubernetes-sigs/kro/v0.9.3/helm/crds/kro.run_resourcegraphdefinitions.yaml',
    );
    expect(urls).toContain(
      'https://raw.githubusercontent.com/backstage/charts/backstage-2.8.2/charts/backstage/values.schema.json',
    );
    expect(urls).toContain(
      'https://raw.githubusercontent.com/pulumi/pulumi-gitlab/v10.1.1/provider/cmd/pulumi-resource-gitlab/schema.json',
    );
  });
});

describe('the committed snapshots in upstream/', () => {
  const files = (
    fs.readdirSync(path.join(root, SNAPSHOT_DIR), { recursive: true, encoding: 'utf8' })
  )
    .map((f) => `${SNAPSHOT_DIR}/${f.split(path.sep).join('/')}`)
    .filter((f) => fs.statSync(path.join(root, f)).isFile())
    // The Backstage release's manifest is made by `npm run backstage:release` from the registry,
    // not by the importer (backstage-config/release.test.ts holds the lockfile against it).
    .filter((f) => f !== BACKSTAGE_RELEASE_MANIFEST)
    .sort();

  it('are exactly the sources, each with the header of its source', () => {
    expect(files).toEqual(UPSTREAM_SOURCES.map((s) => s.snapshot).sort());
    for (const source of UPSTREAM_SOURCES) {
      const header = parseHeader(fs.readFileSync(path.join(root, source.snapshot), 'utf8'));
      expect(header, source.snapshot).toEqual({
        project: source.project,
        tag: source.tag,
        path: source.path,
        url: upstreamUrl(source),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
  });

  it('hold no prose, and each CRD its group and kind', () => {
    for (const source of UPSTREAM_SOURCES) {
      const text = fs.readFileSync(path.join(root, source.snapshot), 'utf8');
      const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
      const keys = new Set<string>();
      const walk = (node: unknown, underProperties: boolean): void => {
        if (Array.isArray(node)) node.forEach((n) => walk(n, false));
        else if (node !== null && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            if (!underProperties) keys.add(k);
            walk(v, k === 'properties' || k === 'inputProperties');
          }
        }
      };
      docs.forEach((d) => walk(d, false));
      for (const prose of PROSE_KEYWORDS)
        expect(keys.has(prose), `${source.snapshot}: ${prose}`).toBe(false);
      if (source.kind === 'crd') {
        expect(
          docs.map((d) => d.kind),
          source.snapshot,
        ).toEqual(['CustomResourceDefinition']);
        expect(docs[0].spec.group, source.snapshot).toMatch(/\./);
        expect(docs[0].spec.versions.length, source.snapshot).toBeGreaterThan(0);
      }
    }
  });

  it('are the only upstream files the code and tests read: nothing reads the folder beside the clone', () => {
    // The folder CI regenerates the snapshots from (.ci/run: `npm run import -- --from DIR`), when
    // it is beside the clone; its name is taken from there rather than written again here.
    const from = /npm run import -- --from (\S+)/.exec(
      fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'),
    )?.[1];
    expect(from, '.ci/run names the folder it imports from').toMatch(/^\.\.\/[^/]+\//);
    const sibling = from!.split('/')[1];
    const reads = new RegExp(`\\.\\./${sibling}\\b|['"]${sibling}['"]`);
    const walk = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = dir === '' ? e.name : `${dir}/${e.name}`;
        if (e.isDirectory()) {
          return ['node_modules', '.git', 'dist', '.portal'].includes(e.name) ? [] : walk(rel);
        }
        return /\.(ts|mts|mjs|json|yaml|yml)$/.test(e.name) && rel !== 'package-lock.json'
          ? [rel]
          : [];
      });
    const tracked = walk('');
    const readers = tracked.filter((f) =>
      reads.test(fs.readFileSync(path.join(root, f), 'utf8')),
    );
    // The importer names the folder in its documentation (it reads what --from names).
    expect(readers).toEqual(['scripts/import.ts']);
  });
});

describe('npm run import', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses unknown arguments with the usage, and a folder without the files, naming the file', async () => {
    const bad = await runScript('import', ['--form', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'npm run import: unexpected arguments ["--form","x"]\nusage: npm run import [-- --from DIR]\n',
    );
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'import-test-'));
    try {
      const missing = await runScript('import', ['--from', empty]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(
        /^npm run import: \S+\/crossplane\/apiextensions\.crossplane\.io_compositeresourcedefinitions\.yaml not found \(crossplane\/crossplane cluster\/crds\/apiextensions\.crossplane\.io_compositeresourcedefinitions\.yaml\)\n$/,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
