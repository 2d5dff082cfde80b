/**
 * The portal as `npm run portal` serves it, in Chromium: the built app from the backend of this
 * checkout with the local-development layer (guest sign-in), on a real PostgreSQL, the catalog
 * and templates from dist/ (testing/portal-browser.ts). One backend for the whole file (booting
 * is the expensive part); each test its own browser context, signed in as guest. Nothing leaves
 * the machine: every request to another origin, and every request the GitLab plugin makes
 * through the backend to the GitLab host, is aborted and must not be one the page needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { readConfigLayer } from '../../infra/backstage-config';
import {
  signedIn,
  startLocalPortal,
  unexpected,
  visit,
  type LocalPortal,
  type SignedIn,
} from '../../testing/portal-browser';
import { portalWorkDir } from '../../testing/portal-fixture';
import { screenshotPath } from '../../testing/screenshots';
import { exampleCatalog, exampleParameters, runOnStack } from '../../testing/template-examples';
import { DEV_STACK } from '../../testing/template-stack';
import { fillTemplateFolder } from '../../testing/template-editor';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

let portal: LocalPortal | undefined;
const t0 = Date.now();

type CatalogEntity = {
  kind: string;
  metadata: { name: string; title: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};
/** dist/'s platform entities, as the catalog files declare them. */
const ENTITIES = parseAllDocuments(
  fs.readFileSync(path.join(DIST, 'catalog', 'platform.yaml'), 'utf8'),
).map((d) => d.toJS() as CatalogEntity);
const PLATFORM = ENTITIES.map((e) => ({
  kind: e.kind,
  name: e.metadata.name,
  title: e.metadata.title,
}));

/** The templates of dist/templates/: folder name, title and form. */
const TEMPLATES = fs.readdirSync(path.join(DIST, 'templates')).map((dir) => {
  const t = parse(fs.readFileSync(path.join(DIST, 'templates', dir, 'template.yaml'), 'utf8')) as {
    metadata: { name: string; title: string };
    spec: { parameters: { properties: Record<string, any> }[] };
  };
  return { dir, ...t.metadata, parameters: t.spec.parameters };
});

/**
 * The stack `npm run portal` stands for: the local layer's one GitLab integration is gitlab.com,
 * where a service made with the new-service template would live.
 */
const LOCAL_STACK = { ...DEV_STACK, gitlabUrl: 'https://gitlab.com' };
/** The Component the new-service template registers (its catalog-info.yaml, as rendered). */
let service: CatalogEntity;

beforeAll(async () => {
  // The built app: made once before any file runs (testing/global-setup.ts).
  const work = portalWorkDir('portal-browser-');
  const run = await runOnStack('new-service', LOCAL_STACK);
  const serviceFile = run.published?.['catalog-info.yaml'];
  expect(serviceFile, 'the new-service template renders a catalog-info.yaml').toBeDefined();
  service = parse(serviceFile!) as CatalogEntity;
  portal = await startLocalPortal({
    work,
    // What `npm run portal` differs in here: the GitLab groups the org provider would ingest (no
    // GitLab here), and a service as the new-service template registers it: annotated for the
    // GitLab CI/CD view and the Kubernetes view, which no entity of the platform's is.
    locations: (dir) => {
      const groups = path.join(dir, 'groups.yaml');
      fs.writeFileSync(
        groups,
        exampleCatalog(LOCAL_STACK)
          .filter((e) => e.kind === 'Group')
          .map((e) => stringify(e))
          .join('---\n'),
      );
      const component = path.join(dir, 'service.yaml');
      fs.writeFileSync(component, serviceFile!);
      return [
        { file: groups, allow: ['Group'] },
        { file: component, allow: ['Component'] },
      ];
    },
    layer: {
      search: {
        collators: {
          // The catalog collator's default runs 3 s after start, then every 10 minutes: the
          // first run can come before the catalog has processed its files, and the index stays
          // without them for 10 minutes. Every 15 s here, so that search sees the catalog soon.
          catalog: {
            schedule: {
              frequency: { seconds: 15 },
              timeout: { minutes: 1 },
              initialDelay: { seconds: 3 },
            },
          },
        },
      },
    },
  });
  console.info(`portal (local layer) and Chromium ready in ${Date.now() - t0} ms`);
}, 900_000);

afterAll(async () => {
  await portal?.stop();
  console.info(`browser suite: ${Date.now() - t0} ms`);
}, 120_000);

const open = (target: string): Promise<SignedIn> => signedIn(portal!, target);
const go = (s: SignedIn, target: string): Promise<void> => visit(portal!, s, target);

/**
 * A search cancels its queries when a newer one starts (the term read from the page's address,
 * or the entity the docs' search box is for, arrives after the first query, made without them).
 */
const supersededSearch = (p: string): boolean =>
  new RegExp(`^failed: ${portal!.baseUrl}/api/search/query\\?term=&[^ ]* net::ERR_ABORTED$`).test(
    p,
  );

/** The page's problems, and no request that would have left the machine. */
function expectClean(s: SignedIn): void {
  expect(unexpected(s)).toEqual([]);
  expect(s.outside).toEqual([]);
}

describe('the portal in Chromium, signed in as guest (local layer)', { timeout: 240_000 }, () => {
  it('lists the platform System, its Components, the Resource, the APIs and the Templates', async () => {
    const s = await open('/');
    // The catalog's title names the organization (organization.name of the layers).
    const org = (readConfigLayer('app-config.yaml').organization as { name: string }).name;
    await s.page
      .getByRole('heading', { name: `${org} Catalog`, exact: true })
      .waitFor({ timeout: 60_000 });
    const kinds = [...new Set([...PLATFORM.map((e) => e.kind), 'Template'])];
    for (const kind of kinds) {
      await go(s, `/?filters%5Bkind%5D=${kind.toLowerCase()}&filters%5Buser%5D=all`);
      const titles =
        kind === 'Template'
          ? TEMPLATES.map((t) => t.title)
          : PLATFORM.filter((e) => e.kind === kind).map((e) => e.title);
      for (const title of titles) {
        // Catalog ingestion runs in the background after the backend is ready.
        await s.page
          .getByRole('link', { name: title, exact: true })
          .first()
          .waitFor({ timeout: 90_000 });
      }
      if (kind === 'Component') await s.page.screenshot({ path: screenshotPath('catalog') });
    }
    expectClean(s);
    await s.context.close();
  });

  it("renders an API entity's OpenAPI definition", async () => {
    const api = ENTITIES.find((e) => e.kind === 'API')!;
    const s = await open(`/catalog/default/api/${api.metadata.name}/definition`);
    const definition = parse(api.spec.definition as string) as {
      info: { title: string };
      components: { schemas: Record<string, unknown> };
    };
    // Swagger UI's rendering: the document's title and its schemas section.
    await s.page.getByText(definition.info.title).first().waitFor({ timeout: 90_000 });
    await s.page.getByText('Schemas').first().waitFor({ timeout: 30_000 });
    for (const schema of Object.keys(definition.components.schemas)) {
      await s.page.getByText(schema, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    await s.page.screenshot({ path: screenshotPath('api-definition') });
    expectClean(s);
    await s.context.close();
  });

  it("renders the platform System's TechDocs, built by mkdocs on the first visit", async () => {
    const system = ENTITIES.find((e) => e.kind === 'System')!;
    const docsDir = path.join(DIST, 'catalog', 'docs');
    // The local publisher's folder of the System's site: empty until the portal builds it.
    const site = path.join(portal!.work, 'techdocs', 'default', 'system', system.metadata.name);
    expect(fs.existsSync(site)).toBe(false);
    const mkdocsYml = path.join(DIST, 'catalog', 'mkdocs.yml');
    const committed = fs.readFileSync(mkdocsYml, 'utf8');
    const s = await open(`/docs/default/system/${system.metadata.name}`);
    // Every heading of the docs' Markdown, in the reader's shadow root (mkdocs adds a `¶` link).
    const markdown = fs.readFileSync(path.join(docsDir, 'index.md'), 'utf8');
    const headings = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]);
    expect(headings.length).toBeGreaterThan(1);
    const docs = s.page.getByTestId('techdocs-native-shadowroot');
    for (const heading of headings) {
      // The first visit runs mkdocs (builder local): tens of seconds on a loaded machine.
      const text = new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}¶?$`);
      await docs.getByRole('heading').filter({ hasText: text }).waitFor({ timeout: 150_000 });
    }
    // Shown, not only there: the reader keeps the page transparent until every stylesheet it
    // links has loaded (a stylesheet that cannot load leaves it so).
    const shown = (): Promise<boolean> =>
      docs
        .getByRole('heading')
        .first()
        .evaluate((h) =>
          (
            h as unknown as { checkVisibility(o: { opacityProperty: boolean }): boolean }
          ).checkVisibility({ opacityProperty: true }),
        );
    await expect.poll(shown, { timeout: 30_000 }).toBe(true);
    // The docs' table names each platform API by its title.
    for (const api of PLATFORM.filter((e) => e.kind === 'API')) {
      await docs.getByText(api.title, { exact: true }).waitFor({ timeout: 10_000 });
    }
    expect(fs.existsSync(path.join(site, 'index.html'))).toBe(true);
    // TechDocs rewrote mkdocs.yml in place (a `dir:` site is built where it is): as it was.
    expect(fs.readFileSync(mkdocsYml, 'utf8')).toBe(committed);
    await s.page.screenshot({ path: screenshotPath('techdocs') });
    // Before the first build there is no site: the reader's first requests for its metadata and
    // page get a 404, then it has the backend build it and loads the page anew (cancelling the
    // first page request if it is still open). Those, and a superseded search, are expected.
    const docsApi = `${portal!.baseUrl}/api/techdocs`;
    const entity = `default/system/${system.metadata.name}`;
    const notBuilt = [
      `${docsApi}/metadata/techdocs/${entity}`,
      `${docsApi}/static/docs/${entity}/index.html`,
    ];
    const beforeBuild = (p: string): boolean =>
      notBuilt.some((u) =>
        [
          `HTTP 404: ${u}`,
          `console: Failed to load resource: the server responded with a status of 404 (Not Found) (${u})`,
          `failed: ${u} net::ERR_ABORTED`,
        ].includes(p),
      );
    expect(unexpected(s).filter((p) => !beforeBuild(p) && !supersededSearch(p))).toEqual([]);
    expect(s.outside).toEqual([]);
    await s.context.close();
  });

  it('finds the platform System in search (catalog collator on PostgreSQL)', async () => {
    const system = ENTITIES.find((e) => e.kind === 'System')!;
    const s = await open('/');
    const link = s.page.locator(`a[href="/catalog/default/system/${system.metadata.name}"]`);
    // The index fills on the collator's schedule: search again until the System is in it.
    const deadline = Date.now() + 150_000;
    for (;;) {
      await go(s, `/search?query=${encodeURIComponent('platform')}`);
      const found = await link
        .first()
        .waitFor({ timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (found || Date.now() > deadline) break;
    }
    expect(await link.first().innerText()).toBe(system.metadata.title);
    expect(unexpected(s).filter((p) => !supersededSearch(p))).toEqual([]);
    expect(s.outside).toEqual([]);
    await s.context.close();
  });

  it('shows the GitLab CI/CD tab on a component annotated with its project, on no other', async () => {
    const slug = service.metadata.annotations!['gitlab.com/project-slug'];
    const instance = service.metadata.annotations!['gitlab.com/instance'];
    const s = await open(`/catalog/default/component/${service.metadata.name}/gitlab`);
    await s.page.getByRole('link', { name: 'Gitlab', exact: true }).waitFor({ timeout: 90_000 });
    // Its cards ask GitLab (through the backend's GitLab proxy) and show the failure as such.
    await s.page.getByText('Failed to fetch').first().waitFor({ timeout: 60_000 });
    const project = `${portal!.baseUrl}/api/gitlab/rest/${instance}/projects/${encodeURIComponent(slug)}`;
    expect(s.outside.length).toBeGreaterThan(0);
    expect(s.outside.filter((u) => !u.startsWith(project))).toEqual([]);
    expect(unexpected(s)).toEqual([]);
    const asked = s.outside.length;
    // A platform Component has no GitLab project annotation: no tab, no request to GitLab.
    const other = ENTITIES.find(
      (e) => e.kind === 'Component' && !e.metadata.annotations?.['gitlab.com/project-slug'],
    )!;
    await go(s, `/catalog/default/component/${other.metadata.name}`);
    await s.page.getByRole('link', { name: 'Overview', exact: true }).waitFor({ timeout: 60_000 });
    await s.page.getByText(other.metadata.title).first().waitFor({ timeout: 30_000 });
    await s.page.waitForLoadState('networkidle', { timeout: 60_000 });
    expect(await s.page.getByRole('link', { name: 'Gitlab', exact: true }).count()).toBe(0);
    expect(await s.page.getByRole('link', { name: 'Kubernetes', exact: true }).count()).toBe(0);
    expect(s.outside).toHaveLength(asked);
    expect(unexpected(s)).toEqual([]);
    await s.context.close();
  });

  it("shows the Kubernetes tab's clusters section: the local layer's kubectl proxy, and why it is empty", async () => {
    const s = await open(`/catalog/default/component/${service.metadata.name}/kubernetes`);
    await s.page
      .getByRole('link', { name: 'Kubernetes', exact: true })
      .waitFor({ timeout: 90_000 });
    await s.page.getByText('Your Clusters', { exact: true }).waitFor({ timeout: 60_000 });
    // The local layer's cluster (localKubectlProxy: `kubectl proxy` on its default port). No
    // proxy runs on this machine: the tab says it could not reach the cluster, and says why.
    await s.page.getByText('local', { exact: true }).first().waitFor({ timeout: 30_000 });
    await s.page.getByText('There was a problem retrieving Kubernetes objects').click();
    await s.page.getByText('Cluster: local', { exact: true }).waitFor({ timeout: 30_000 });
    await s.page
      .getByText(/Error communicating with Kubernetes: .*ECONNREFUSED/)
      .waitFor({ timeout: 30_000 });
    expectClean(s);
    await s.context.close();
  });
});

describe('Create, signed in as guest (local layer)', { timeout: 240_000 }, () => {
  /** Opens `name`'s form, checks its fields' titles, and tries an invalid `name`. */
  async function formRefusingName(s: SignedIn, name: string, fields: readonly string[]) {
    const t = TEMPLATES.find((x) => x.name === name)!;
    await go(s, `/create/templates/default/${t.name}`);
    const props = t.parameters[0].properties;
    for (const field of fields) {
      await s.page
        .getByText(props[field].title as string)
        .first()
        .waitFor({ timeout: 60_000 });
    }
    return props;
  }

  /** The name's JSON Schema pattern refuses it in the form, before any request, with its message. */
  async function refusesName(s: SignedIn, pattern: string): Promise<void> {
    await s.page.locator('#root_name').fill('Not_A_Name');
    await s.page.getByRole('button', { name: /^(next|review)$/i }).click();
    await s.page.getByText(`must match pattern "${pattern}"`).first().waitFor({ timeout: 30_000 });
  }

  /** The form logs the refusal it shows; nothing else may go wrong. */
  function expectOnlyRefusals(s: SignedIn): void {
    expect(unexpected(s).filter((p) => !p.startsWith('console: Form validation failed'))).toEqual(
      [],
    );
    expect(s.outside).toEqual([]);
  }

  it("lists the four templates; the team-namespace form has the XRD's fields, refuses a bad name, reviews a good one", async () => {
    const s = await open('/create');
    expect(TEMPLATES).toHaveLength(4);
    for (const t of TEMPLATES) {
      await s.page.getByText(t.title, { exact: true }).first().waitFor({ timeout: 90_000 });
    }
    const props = await formRefusingName(s, 'team-namespace', ['name', 'owner', 'size', 'viewers']);
    // Size: the XRD's enum, as a select of its values.
    await s.page.locator('#root_size').click();
    for (const size of props.size.enum as string[]) {
      await s.page.getByRole('option', { name: size, exact: true }).waitFor({ timeout: 10_000 });
    }
    await s.page.getByRole('option', { name: 'medium', exact: true }).click();
    // The owner: a Group from the catalog, chosen in the picker (no free text).
    await s.page.locator('#root_owner').click();
    await s.page.getByRole('option', { name: /\/team-a$/ }).click();
    await refusesName(s, props.name.pattern as string);
    await s.page.screenshot({ path: screenshotPath('template-form'), fullPage: true });
    // A valid name passes; the review step shows the values entered.
    await s.page.locator('#root_name').fill('team-a-apps');
    await s.page.getByRole('button', { name: /^review$/i }).click();
    await s.page.getByRole('button', { name: /^create$/i }).waitFor({ timeout: 30_000 });
    for (const value of ['team-a-apps', 'medium', 'group:default/customers-team-a']) {
      await s.page.getByText(value, { exact: true }).first().waitFor({ timeout: 10_000 });
    }
    expectOnlyRefusals(s);
    await s.context.close();
  });

  it("has the postgres-database form with the RGD's fields, refusing a bad name, reviewing a good one", async () => {
    const s = await open('/create');
    const props = await formRefusingName(s, 'postgres-database', [
      'namespace',
      'name',
      'version',
      'storage',
    ]);
    const values = exampleParameters('postgres-database') as Record<string, string>;
    await s.page.locator('#root_namespace').fill(values.namespace);
    // Version: the RGD's enum, as a select of its values, its default chosen.
    expect(await s.page.locator('#root_version').innerText()).toBe(props.version.default);
    await s.page.locator('#root_version').click();
    for (const version of props.version.enum as string[]) {
      await s.page.getByRole('option', { name: version, exact: true }).waitFor({ timeout: 10_000 });
    }
    await s.page.getByRole('option', { name: values.version, exact: true }).click();
    expect(await s.page.locator('#root_storage').inputValue()).toBe(props.storage.default);
    await s.page.locator('#root_storage').fill(values.storage);
    await refusesName(s, props.name.pattern as string);
    await s.page.locator('#root_name').fill(values.name);
    await s.page.getByRole('button', { name: /^review$/i }).click();
    await s.page.getByRole('button', { name: /^create$/i }).waitFor({ timeout: 30_000 });
    for (const field of ['namespace', 'name', 'version', 'storage']) {
      await s.page
        .getByRole('row')
        .filter({ hasText: props[field].title as string })
        .filter({ hasText: values[field] })
        .first()
        .waitFor({ timeout: 10_000 });
    }
    expectOnlyRefusals(s);
    await s.context.close();
  });

  it('dry-runs a template in the template editor and shows the claim it renders', async () => {
    const name = 'postgres-database';
    const values = exampleParameters(name) as Record<string, string>;
    // The claim as Backstage's fetch:template renders it offline for the same values and user.
    const offline = await runOnStack(name, DEV_STACK, values, { user: 'user:default/guest' });
    const [claimPath, claim] = Object.entries(offline.mergeRequestFiles ?? {}).find(([p]) =>
      p.endsWith(`/${values.name}.yaml`),
    )!;
    const s = await open('/create/edit');
    await fillTemplateFolder(s, path.join(DIST, 'templates', name));
    await go(s, '/create/edit');
    await s.page.getByText('Load Template Directory').click();
    await s.page.getByText('template.yaml', { exact: true }).click();
    for (const field of ['namespace', 'name', 'storage']) {
      await s.page.locator(`#root_${field}`).fill(values[field]);
    }
    await s.page.locator('#root_version').click();
    await s.page.getByRole('option', { name: values.version, exact: true }).click();
    await s.page.getByRole('button', { name: /^review$/i }).click();
    await s.page.getByRole('button', { name: /^create$/i }).click();
    await s.page.getByText('Dry-run results').waitFor({ timeout: 60_000 });
    // The result's only file, shown at once: the claim, as the offline render has it.
    const kind = (parse(claim) as { kind: string }).kind;
    const shown = s.page.locator('.cm-content').last();
    await shown.filter({ hasText: `kind: ${kind}` }).waitFor({ timeout: 60_000 });
    expect(parse(await shown.innerText()), claimPath).toEqual(parse(claim));
    await s.page.screenshot({ path: screenshotPath('template-editor') });
    expectClean(s);
    await s.context.close();
  });
});
