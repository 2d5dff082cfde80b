import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Testing } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { isDns1035Label, isDnsLabel } from '../constructs/names';
import type { SoftwareTemplate, TemplateStep } from '../constructs/templates/template';
import { evalCel } from '../testing/cel';
import { runClaimsCheck } from '../testing/claims-checkout';
import { checkGitlabCi } from '../testing/gitlab-ci';
import { validateEntity } from '../testing/catalog';
import { filesUnder, renderSkeleton, writeFiles } from '../testing/scaffolder';
import { objectSchema, validateAgainstSchema } from '../testing/schemas';
import {
  EXAMPLE_ENVIRONMENT,
  evaluateParameters,
  exampleRenderValues,
  TEMPLATE_EXAMPLES,
} from '../testing/template-examples';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
import { createTemplateRenderer } from 'nunjitsu';
import { groupCheckScript, layoutCheckScript, claimKinds } from './claims-repository';
import { DEFAULT_NAMESPACE_SIZES } from '../constructs/team-namespace/sizes';
import { CrossplaneFunctionsChart } from './crossplane-functions';
import { DatabaseChart } from './database';
import { buildPlatformCharts, type PlatformCharts } from './platform';
import { TeamNamespaceChart } from './team-namespace';
import { PortalChart, portalFiles, PORTAL_DIRS, templateScopes } from './portal';

let charts: PlatformCharts;
let portal: PortalChart;
let files: Record<string, string>;
let dist: string;

beforeAll(() => {
  charts = buildPlatformCharts(Testing.app());
  portal = new PortalChart(Testing.app(), 'portal', charts);
  files = portalFiles(portal);
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-dist-'));
  writeFiles(dist, files);
});
afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

const templates = (): readonly SoftwareTemplate[] => portal.templates.all;
const template = (name: string): SoftwareTemplate => templates().find((t) => t.name === name)!;
const step = (t: SoftwareTemplate, action: string): TemplateStep =>
  t.steps.find((s) => s.action === action)!;

/** The render step's values for `parameters`, with the derived ones from the example. */
const renderValues = (
  t: SoftwareTemplate,
  parameters: Readonly<Record<string, unknown>>,
): Record<string, unknown> =>
  exampleRenderValues(
    t.name,
    (step(t, 'fetch:template').input as { values: Record<string, unknown> }).values,
    parameters,
  );

/**
 * Renders a template with Backstage's fetch:template, and maps the result to where the merge
 * request puts it in the claims repository (sourcePath -> targetPath), when it opens one.
 */
async function render(
  t: SoftwareTemplate,
  parameters: Readonly<Record<string, unknown>>,
  values?: Record<string, unknown>,
): Promise<Record<string, string>> {
  const input = step(t, 'fetch:template').input as Record<string, unknown>;
  const rendered = await renderSkeleton(path.join(dist, 'templates', t.name), {
    url: input.url as string,
    ...(input.targetPath !== undefined ? { targetPath: input.targetPath as string } : {}),
    trimBlocks: input.trimBlocks === true,
    lstripBlocks: input.lstripBlocks === true,
    values: values ?? renderValues(t, parameters),
  });
  const mr = t.steps.find((s) => s.action === 'publish:gitlab:merge-request');
  if (mr === undefined) {
    return rendered;
  }
  const { sourcePath, targetPath } = mr.input as { sourcePath: string; targetPath: string };
  const target = evaluateParameters(targetPath, parameters) as string;
  return Object.fromEntries(
    Object.entries(rendered).map(([f, c]) => {
      expect(f.startsWith(`${sourcePath}/`), f).toBe(true);
      const rel = f.slice(sourcePath.length + 1);
      return [target === '.' ? rel : `${target}/${rel}`, c];
    }),
  );
}

/** Problems of a claim against the platform API it targets ([] when the API server accepts it). */
function claimProblems(claim: any): string[] {
  const { teamNamespace, database } = charts;
  if (claim.kind === teamNamespace.api.kind) {
    const schema = teamNamespace.api.schema as any;
    const problems = validateAgainstSchema(objectSchema(schema), claim);
    for (const { rule, message } of schema['x-kubernetes-validations']) {
      if (evalCel(rule, { self: claim }) !== true) {
        problems.push(message);
      }
    }
    return problems;
  }
  if (claim.kind === database.api.kind) {
    const problems = validateAgainstSchema(
      objectSchema({ type: 'object', properties: { spec: database.api.specSchema as any } }),
      claim,
    );
    if (!isDns1035Label(claim.metadata.name, database.api.maxNameLength)) {
      problems.push(`name ${claim.metadata.name}: its Service and Secret names would be invalid`);
    }
    if (!isDnsLabel(claim.metadata.namespace)) {
      problems.push(`namespace ${claim.metadata.namespace} is not a namespace name`);
    }
    return problems;
  }
  return [`${claim.kind} is not a platform API`];
}

/** Exit status of a claims-pipeline check script run in a checkout holding `repo`. */
const runCheck = (script: string, repo: Record<string, string>): number =>
  runClaimsCheck(script, repo).status;

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

  it.each(['team-namespace', 'postgres-database', 'customer-group', 'new-service'])(
    'template %s matches its snapshot',
    (name) => {
      expect(files[`templates/${name}/template.yaml`]).toMatchSnapshot();
    },
  );

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
    const app = Testing.app();
    const functions = new CrossplaneFunctionsChart(app, 'functions');
    const other = new PortalChart(Testing.app(), 'portal', {
      functions,
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

  it('ask for the GitLab scopes the OAuth application grants', () => {
    expect(templateScopes(portal)).toEqual(['api']);
  });
});

describe("the templates' step inputs, through the scaffolder's own template engine", () => {
  // nunjitsu is what the scaffolder's workflow runner renders step inputs with.
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: {
        gitlab: [{ host: 'gitlab.example.com', apiBaseUrl: 'https://gitlab.example.com/api/v4' }],
      },
    }),
  );
  const renderer = createTemplateRenderer({
    allowRegexExecution: true,
    filters: { parseRepoUrl: (url) => parseRepoUrl(url as string, integrations) },
  });

  it.each(Object.keys(TEMPLATE_EXAMPLES))(
    '%s: every expression evaluates, and the render step gets the values the offline render uses',
    (name) => {
      const t = template(name);
      const { parameters, derived } = TEMPLATE_EXAMPLES[name];
      const context = renderer.prepareContext({
        parameters: parameters as any,
        environment: {
          parameters: {
            ...EXAMPLE_ENVIRONMENT,
            claimsRepoUrl: 'gitlab.example.com?owner=acme-platform&repo=claims',
          },
          secrets: { GITLAB_SCAFFOLDER_TOKEN: 'scaffolder-token' },
        },
        secrets: { USER_OAUTH_TOKEN: 'user-token' },
        user: { ref: 'user:default/jane.doe' },
        // What the catalog:fetch step returns for the owner Group ingested from GitLab.
        steps: {
          fetchOwner: {
            output: {
              entity: {
                metadata: {
                  annotations: {
                    [`${EXAMPLE_ENVIRONMENT.gitlabHost}/team-path`]: derived.owner ?? null,
                  },
                },
              },
            },
          },
        },
      } as any);
      const values = (step(t, 'fetch:template').input as { values: Record<string, string> }).values;
      expect(
        Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, renderer.renderValue(v, context)]),
        ),
      ).toEqual(renderValues(t, parameters));
      // The other steps' inputs before the output links render to non-empty values.
      for (const s of t.steps.filter((x) => x.action !== 'fetch:template')) {
        for (const [k, v] of Object.entries(s.input ?? {})) {
          if (typeof v === 'string' && v.includes('${{') && !v.includes('steps.')) {
            expect(renderer.render(v, context), `${s.id}.${k}`).not.toBe('');
          }
        }
      }
    },
  );
});

describe('the templates rendered by Backstage fetch:template', () => {
  const kinds = () => claimKinds(charts);

  it.each(['team-namespace', 'postgres-database'])(
    '%s renders a claim the API accepts, at its path in the claims repository',
    async (name) => {
      const t = template(name);
      const { parameters } = TEMPLATE_EXAMPLES[name];
      const repo = await render(t, parameters);
      const [file] = Object.keys(repo);
      expect(Object.keys(repo)).toHaveLength(1);
      const claim = parse(repo[file]);
      expect(claimProblems(claim)).toEqual([]);
      expect(claim.metadata.name).toBe(parameters.name);
      expect(runCheck(layoutCheckScript(kinds()), repo)).toBe(0);
      expect(claim.metadata.annotations['platform.example.org/requested-by']).toBe(
        'user:default/jane.doe',
      );
    },
  );

  it('team-namespace writes the owner group path and leaves out empty viewers', async () => {
    const t = template('team-namespace');
    const withViewers = parse(
      Object.values(await render(t, TEMPLATE_EXAMPLES[t.name].parameters))[0],
    );
    expect(withViewers.spec).toEqual({
      owner: 'acme-platform/customers/team-a',
      size: 'medium',
      viewers: ['acme-platform/platform-team'],
    });
    const none = parse(
      Object.values(await render(t, { ...TEMPLATE_EXAMPLES[t.name].parameters, viewers: [] }))[0],
    );
    expect(none.spec).toEqual({ owner: 'acme-platform/customers/team-a', size: 'medium' });
  });

  it('customer-group renders a Group request the pipeline accepts and a namespace owned by it', async () => {
    const t = template('customer-group');
    const repo = await render(t, TEMPLATE_EXAMPLES[t.name].parameters);
    expect(Object.keys(repo).sort()).toEqual([
      'claims/teamnamespaces/team-b.yaml',
      'groups/team-b.json',
    ]);
    const group = JSON.parse(repo['groups/team-b.json']);
    expect(await validateEntity(group)).toEqual([]);
    expect(group).toMatchObject({
      metadata: {
        name: 'customers-team-b',
        annotations: { 'gitlab.example.com/team-path': 'acme-platform/customers/team-b' },
      },
      spec: { profile: { displayName: 'Team B (payments)' }, parent: 'customers' },
    });
    const claim = parse(repo['claims/teamnamespaces/team-b.yaml']);
    expect(claimProblems(claim)).toEqual([]);
    expect(claim.spec.owner).toBe(group.metadata.annotations['gitlab.example.com/team-path']);
    expect(runCheck(layoutCheckScript(kinds()), repo)).toBe(0);
    expect(runCheck(groupCheckScript(), repo)).toBe(0);
  });

  it('new-service renders a catalog-info, TechDocs and a GitLab pipeline', async () => {
    const t = template('new-service');
    const out = await render(t, TEMPLATE_EXAMPLES[t.name].parameters);
    expect(Object.keys(out).sort()).toEqual([
      '.gitlab-ci.yml',
      'Dockerfile',
      'catalog-info.yaml',
      'docs/index.md',
      'mkdocs.yml',
      'public/index.html',
    ]);
    const component = parse(out['catalog-info.yaml']);
    expect(await validateEntity(component)).toEqual([]);
    expect(component.metadata.annotations).toEqual({
      'gitlab.com/project-slug': 'acme-platform/customers/team-b/invoice-api',
      'gitlab.com/instance': 'gitlab.example.com',
      'backstage.io/techdocs-ref': 'dir:.',
      'backstage.io/kubernetes-id': 'invoice-api',
      'backstage.io/kubernetes-namespace': 'team-b',
    });
    expect(component.spec).toEqual({
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/customers-team-b',
      system: 'system:default/platform',
    });
    const mkdocs = parse(out['mkdocs.yml']);
    expect(mkdocs.site_name).toBe('invoice-api');
    expect(mkdocs.plugins).toContain('techdocs-core');
    expect(out['docs/index.md']).toMatch(/^# invoice-api\n/);
    const check = checkGitlabCi(out['.gitlab-ci.yml']);
    expect(check.ok, check.output).toBe(true);
    const ci = parse(out['.gitlab-ci.yml']);
    expect(ci.stages).toEqual(['test', 'build', 'docs']);
    const jobs = Object.entries(ci).filter(([, v]) => (v as any)?.script !== undefined);
    expect(jobs.map(([k]) => k)).toEqual(['lint-dockerfile', 'build-image', 'techdocs']);
    for (const [k, job] of jobs as [string, any][]) {
      expect(ci.stages, k).toContain(job.stage);
      expect(Array.isArray(job.script) && job.script.length > 0, k).toBe(true);
    }
    expect(ci.techdocs.script.join('\n')).toContain('publish --publisher-type awsS3');
    expect(ci.techdocs.script.join('\n')).toContain('--entity "default/Component/invoice-api"');
  });
});

/** A deterministic pseudo-random generator (mulberry32), so the fuzz inputs are the same each run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADVERSARIAL = [
  '',
  'a',
  'team-a',
  'Team-A',
  'team_a',
  'team.a',
  '1team',
  '-team',
  'team-',
  'a'.repeat(40),
  'a'.repeat(51),
  'a'.repeat(52),
  'a'.repeat(63),
  'a'.repeat(64),
  'tëam',
  'team🙂',
  'team a',
  'team\n',
  'team\nkind: Secret',
  '${{ parameters.name }}',
  '{% raw %}',
  '{{ 7*7 }}',
  '": x',
  "'; DROP",
  'team/a',
  'TEAM',
];

function fuzzInputs(count: number): string[] {
  const next = random(20261124);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-----_.A Zé🙂\n{}$%';
  const chars = [...alphabet];
  const generated = Array.from({ length: count }, () => {
    const length = Math.floor(next() * 70);
    return Array.from({ length }, () => chars[Math.floor(next() * chars.length)]).join('');
  });
  return [...ADVERSARIAL, ...generated];
}

describe('fuzzed forms: what the schema accepts renders valid Kubernetes names, the rest is rejected', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // One validator per form page, compiled once per template (not per fuzzed value).
  const validators = new Map<SoftwareTemplate, ValidateFunction[]>();
  const accepts = (t: SoftwareTemplate, parameters: Record<string, unknown>): boolean => {
    let pages = validators.get(t);
    if (pages === undefined) {
      pages = (t.entity.toJson().spec.parameters as object[]).map((p) =>
        ajv.compile({ type: 'object', ...p }),
      );
      validators.set(t, pages);
    }
    return pages.every((validate) => validate(parameters));
  };
  const cases: [string, string, (v: string) => boolean][] = [
    ['team-namespace', 'name', (v) => isDnsLabel(v, 63)],
    ['postgres-database', 'name', (v) => isDns1035Label(v, 51)],
    ['postgres-database', 'namespace', (v) => isDnsLabel(v, 63)],
    ['customer-group', 'name', (v) => isDnsLabel(v, 40)],
    ['new-service', 'name', (v) => isDnsLabel(v, 63)],
    ['new-service', 'namespace', (v) => isDnsLabel(v, 63)],
  ];
  const counts = { accepted: 0, rejected: 0, rendered: 0 };
  afterAll(() => {
    console.info(
      `fuzzed name fields: ${counts.accepted} accepted (${counts.rendered} rendered and validated), ${counts.rejected} rejected`,
    );
  });

  it.each(cases)('%s %s', async (name, field, valid) => {
    const t = template(name);
    const example = TEMPLATE_EXAMPLES[name].parameters;
    let renders = 0;
    for (const value of fuzzInputs(300)) {
      const parameters = { ...example, [field]: value };
      const ok = accepts(t, parameters);
      expect(ok, JSON.stringify(value)).toBe(valid(value));
      if (!ok) {
        counts.rejected += 1;
        continue;
      }
      counts.accepted += 1;
      // Render a sample of the accepted values for real (fetch:template is the slow part).
      if (renders < 12 && t.steps.some((s) => s.action === 'publish:gitlab:merge-request')) {
        renders += 1;
        counts.rendered += 1;
        const repo = await render(t, parameters);
        for (const [file, content] of Object.entries(repo)) {
          if (file.startsWith('claims/')) {
            expect(claimProblems(parse(content)), `${file} for ${JSON.stringify(value)}`).toEqual(
              [],
            );
          }
        }
        expect(runCheck(layoutCheckScript(claimKinds(charts)), repo)).toBe(0);
      }
    }
  });

  it('free-text fields accept injection attempts as plain text, never as markup', async () => {
    const t = template('customer-group');
    const example = TEMPLATE_EXAMPLES[t.name].parameters;
    for (const description of [
      '${{ parameters.name }}',
      '{% raw %}',
      '": x, "kind": "Secret',
      '{{ 7*7 }}',
    ]) {
      const parameters = { ...example, description };
      expect(accepts(t, parameters), description).toBe(true);
      const repo = await render(t, parameters, {
        ...renderValues(t, parameters),
      });
      expect(JSON.parse(repo['groups/team-b.json']).metadata.description).toBe(description);
    }
    for (const description of ['two\nlines', 'x'.repeat(201)]) {
      expect(accepts(t, { ...example, description }), description).toBe(false);
    }
  });
});
