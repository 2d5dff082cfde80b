/**
 * The portal's part of dist/: the templates and the catalog as files (dist/ is their one golden
 * file: the first test holds it byte for byte against synthesis), their forms against the APIs
 * they are derived from, and the order of their steps. What the templates produce when they run
 * is tested in generators/portal/portal-templates.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIGURED_GROUP_PATH_MAX_LENGTH } from '../../constructs/gitlab-paths';
import { TEAM_NAMESPACE_PATTERN } from '../../constructs/namespaces';
import type { SoftwareTemplate } from '../../constructs/templates/template';
import { validateEntity } from '../../testing/catalog';
import { filesUnder, writeFiles } from '../../testing/scaffolder';
import { DEFAULT_NAMESPACE_SIZES } from '../../constructs/team-namespace/sizes';
import { CrossplaneFunctionsChart } from '../../charts/crossplane-functions';
import { DatabaseChart } from '../../charts/database';
import { buildPlatformCharts, type PlatformCharts } from '../../charts/platform';
import { TeamNamespaceChart } from '../../charts/team-namespace';
import { PortalChart, portalFiles, PORTAL_DIRS, templateScopes } from './portal';
import { testApp } from '../../testing/cdk8s-app';

let charts: PlatformCharts;
let portal: PortalChart;
let files: Record<string, string>;
let dist: string;

beforeAll(() => {
  charts = buildPlatformCharts(testApp());
  portal = new PortalChart(testApp(), 'portal', charts);
  files = portalFiles(portal);
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-dist-'));
  writeFiles(dist, files);
});
afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

const templates = (): readonly SoftwareTemplate[] => portal.templates.all;
const template = (name: string): SoftwareTemplate => templates().find((t) => t.name === name)!;

describe('dist/templates and dist/catalog', () => {
  it('hold exactly what synth writes', () => {
    const onDisk = Object.assign(
      {},
      ...PORTAL_DIRS.map((dir) => filesUnder(path.join('dist', dir), dir)),
    ) as Record<string, string>;
    expect(onDisk).toEqual(files);
  });

  it('has four templates, each a valid Template entity with its skeleton', async () => {
    expect(templates().map((t) => t.name)).toEqual([
      'team-namespace',
      'postgres-database',
      'customer-group',
      'new-service',
    ]);
    for (const t of templates()) {
      const entity = parse(files[`templates/${t.name}/template.yaml`]);
      expect(await validateEntity(entity), t.name).toEqual([]);
      expect(Object.keys(files).some((f) => f.startsWith(`templates/${t.name}/skeleton/`))).toBe(
        true,
      );
    }
  });

  it('keeps every ${{ }} expression of a template unchanged through synthesis', () => {
    for (const t of templates()) {
      const synthesized = parse(files[`templates/${t.name}/template.yaml`]);
      expect(synthesized.spec.steps, t.name).toEqual(JSON.parse(JSON.stringify(t.steps)));
      const expressions = (text: string): string[] => text.match(/\$\{\{.*?\}\}/g) ?? [];
      expect(expressions(files[`templates/${t.name}/template.yaml`]).length).toBeGreaterThan(3);
      for (const e of expressions(files[`templates/${t.name}/template.yaml`])) {
        expect(e, t.name).toMatch(/^\$\{\{ [^{}]+ \}\}$/);
      }
    }
  });

  it('uses camelCase step ids, unique per template', () => {
    for (const t of templates()) {
      const ids = t.steps.map((s) => s.id);
      expect(new Set(ids).size, t.name).toBe(ids.length);
      for (const id of ids) {
        expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      }
    }
  });

  it('describes the platform with valid entities, and registers every template', async () => {
    const entities = [
      'catalog/all.yaml',
      'catalog/platform.yaml',
      'catalog/templates.yaml',
    ].flatMap((f) => parseAllDocuments(files[f]).map((d) => d.toJS()));
    for (const e of entities) {
      expect(await validateEntity(e), `${e.kind}:${e.metadata.name}`).toEqual([]);
    }
    const kinds = entities.map((e) => `${e.kind}:${e.metadata.name}`).sort();
    expect(kinds).toEqual([
      'API:postgres-database',
      'API:team-namespace',
      'Component:backstage',
      'Component:cloudnative-pg',
      'Component:crossplane',
      'Component:kro',
      'Location:platform',
      'Location:platform-templates',
      'Resource:portal-database',
      'System:platform',
    ]);
    // Every Location target exists beside it, and every template is registered.
    const templatesLocation = entities.find((e) => e.metadata.name === 'platform-templates');
    expect(templatesLocation.spec.targets).toEqual(
      templates().map((t) => `../templates/${t.name}/template.yaml`),
    );
    for (const e of entities.filter((x) => x.kind === 'Location')) {
      for (const target of e.spec.targets as string[]) {
        expect(files[path.posix.join('catalog', target)], target).toBeDefined();
      }
    }
    // An API's definition is its schema, as an OpenAPI document.
    const api = entities.find((e) => e.kind === 'API' && e.metadata.name === 'team-namespace');
    expect(parse(api.spec.definition).components.schemas.TeamNamespace).toEqual(
      JSON.parse(JSON.stringify(charts.teamNamespace.api.schema)),
    );
  });
});

describe('the forms, derived from the APIs', () => {
  const properties = (t: SoftwareTemplate): Record<string, any> =>
    Object.assign({}, ...t.entity.toJson().spec.parameters.map((p: any) => p.properties));

  it('carry the API constraints of every field they take from it', () => {
    const ns = charts.teamNamespace.api.specSchema.properties!;
    const db = charts.database.api.specSchema.properties!;
    const tn = properties(template('team-namespace'));
    expect(tn.size).toMatchObject({ enum: ns.size.enum, default: ns.size.default });
    expect(tn.viewers).toMatchObject({ maxItems: ns.viewers.maxItems, uniqueItems: true });
    expect(tn.viewers.items.pattern).toBe(ns.viewers.items!.pattern);
    const pg = properties(template('postgres-database'));
    expect(pg.version).toMatchObject({ enum: db.version.enum, default: db.version.default });
    expect(pg.storage).toMatchObject({ pattern: db.storage.pattern, default: db.storage.default });
    expect(pg.name).toMatchObject({
      pattern: charts.database.api.namePattern,
      maxLength: charts.database.api.maxNameLength,
    });
  });

  it('change when the API changes', () => {
    const app = testApp();
    const functions = new CrossplaneFunctionsChart(app, 'functions');
    const other = new PortalChart(testApp(), 'portal', {
      teamNamespace: new TeamNamespaceChart(app, 'ns', {
        functions,
        api: { sizes: { tiny: DEFAULT_NAMESPACE_SIZES.small }, defaultSize: 'tiny' },
      }),
      database: new DatabaseChart(app, 'db', {
        api: { images: { '16': 'docker.io/library/postgres:16.11' }, defaultVersion: '16' },
      }),
    });
    const tn = properties(other.templates.teamNamespace);
    const pg = properties(other.templates.database);
    expect(tn.size).toMatchObject({ enum: ['tiny'], default: 'tiny' });
    expect(pg.version).toMatchObject({ enum: ['16'], default: '16' });
    expect(properties(template('postgres-database')).version.enum).toEqual([
      '15',
      '16',
      '17',
      '18',
    ]);
  });

  it('give customer groups the path budget of the longest customers group any stack may have', () => {
    const name = properties(template('customer-group')).name;
    // spec.owner = <customers group>/<name>, at most 63 characters (the XRD's cap).
    expect(CONFIGURED_GROUP_PATH_MAX_LENGTH).toBe(32);
    expect(name.maxLength).toBe(63 - 1 - 32);
    expect(charts.teamNamespace.api.specSchema.properties!.owner.maxLength).toBe(63);
  });

  it('refuse reserved namespaces in every field that names a namespace', () => {
    const fields = [
      properties(template('team-namespace')).name,
      properties(template('customer-group')).name,
      properties(template('postgres-database')).namespace,
      properties(template('new-service')).namespace,
    ];
    for (const field of fields) {
      expect(field.pattern).toBe(TEAM_NAMESPACE_PATTERN);
      expect(field.description).toContain('kube-*');
    }
  });

  it('take owners and systems as entity refs of one kind, from pickers without free text', () => {
    const owners = [
      properties(template('team-namespace')).owner,
      properties(template('new-service')).owner,
    ];
    for (const owner of owners) {
      expect(owner['ui:options']).toEqual({
        catalogFilter: [{ kind: 'Group' }],
        allowArbitraryValues: false,
      });
      expect(new RegExp(owner.pattern).test('group:default/customers-team-a')).toBe(true);
      for (const bad of ['', ':', 'group:default/', 'customers-team-a', 'user:default/jane']) {
        expect(new RegExp(owner.pattern).test(bad), bad).toBe(false);
      }
    }
    const system = properties(template('new-service')).system;
    expect(system['ui:options'].catalogFilter).toEqual([{ kind: 'System' }]);
    expect(new RegExp(system.pattern).test(system.default)).toBe(true);
  });

  it('ask for the GitLab scopes the OAuth application grants', () => {
    expect(templateScopes(portal)).toEqual(['api']);
  });
});

describe('the steps: every check before the first write', () => {
  /** Actions that change something outside the task's workspace. */
  const WRITES = new Set(['publish:gitlab:merge-request', 'publish:gitlab', 'catalog:register']);

  it.each(['team-namespace', 'postgres-database', 'customer-group', 'new-service'])(
    '%s looks everything up before it writes anything',
    (name) => {
      const steps = template(name).steps;
      const firstWrite = steps.findIndex((s) => WRITES.has(s.action));
      expect(firstWrite).toBeGreaterThan(0);
      const checks = steps.filter((s) => s.action.startsWith('platform:'));
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks) {
        expect(steps.indexOf(check), check.id).toBeLessThan(firstWrite);
      }
    },
  );

  it.each(['team-namespace', 'postgres-database', 'customer-group'])(
    '%s checks the claims repository right before its merge request, for the same files',
    (name) => {
      const steps = template(name).steps;
      const mr = steps.findIndex((s) => s.action === 'publish:gitlab:merge-request');
      const check = steps[mr - 1];
      expect(check.action).toBe('platform:claims:check-new');
      const input = steps[mr].input as Record<string, unknown>;
      expect(check.input).toEqual({
        repoUrl: input.repoUrl,
        branchName: input.branchName,
        targetBranchName: input.targetBranchName,
        sourcePath: input.sourcePath,
        targetPath: input.targetPath,
      });
      // A template never overwrites a claim.
      expect(input.commitAction).toBe('create');
    },
  );
});
