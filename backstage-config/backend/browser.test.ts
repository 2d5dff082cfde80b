/**
 * The portal as `npm run portal` serves it, in Chromium: the built app from the backend of this
 * checkout with the local-development layer (guest sign-in), on a real PostgreSQL, the catalog
 * and templates from dist/. One backend for the whole file (booting is the expensive part); each
 * test its own browser context, signed in as guest. Nothing leaves the machine: every request to
 * another origin is aborted and must not be one the page needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { readConfigLayer } from '../../infra/backstage-config';
import { launchChromium, watchPage } from '../../testing/browser';
import { screenshotPath } from '../../testing/screenshots';
import { exampleCatalog } from '../../testing/template-examples';
import { portalWorkDir, startTestPostgres, stopPortalRun } from '../../testing/portal-fixture';
import { checkConfig, freePort, startBackend, type Backend, type Postgres } from './src/launch';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

let work: string;
let pg: Postgres | undefined;
let backend: Backend | undefined;
let browser: Browser | undefined;
let baseUrl: string;
const t0 = Date.now();

/** dist/'s platform entities: kind, name and title as the catalog files declare them. */
const PLATFORM = parseAllDocuments(
  fs.readFileSync(path.join(DIST, 'catalog', 'platform.yaml'), 'utf8'),
)
  .map((d) => d.toJS() as { kind: string; metadata: { name: string; title: string } })
  .map((e) => ({ kind: e.kind, name: e.metadata.name, title: e.metadata.title }));

/** The templates of dist/templates/: folder name and title. */
const TEMPLATES = fs.readdirSync(path.join(DIST, 'templates')).map((dir) => {
  const t = parse(fs.readFileSync(path.join(DIST, 'templates', dir, 'template.yaml'), 'utf8')) as {
    metadata: { name: string; title: string };
    spec: { parameters: { properties: Record<string, any> }[] };
  };
  return { dir, ...t.metadata, parameters: t.spec.parameters };
});

beforeAll(async () => {
  // The built app: made once before any file runs (testing/global-setup.ts).
  work = portalWorkDir('portal-browser-');
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  pg = await startTestPostgres(work);
  // What `npm run portal` differs in here: the port, TechDocs' output in the test's folder, and
  // the GitLab groups the org provider would ingest (no GitLab here), from one more location
  // beside the platform's (config arrays replace those of earlier layers).
  const groupsFile = path.join(work, 'groups.yaml');
  fs.writeFileSync(
    groupsFile,
    exampleCatalog()
      .filter((e) => e.kind === 'Group')
      .map((e) => stringify(e))
      .join('---\n'),
  );
  const baseLocations = (readConfigLayer('app-config.yaml').catalog as { locations: unknown[] })
    .locations;
  fs.writeFileSync(
    path.join(work, 'app-config.test.yaml'),
    stringify({
      app: { baseUrl },
      backend: { baseUrl },
      techdocs: {
        publisher: { type: 'local', local: { publishDirectory: path.join(work, 'td') } },
      },
      catalog: {
        locations: [
          ...baseLocations,
          { type: 'file', target: groupsFile, rules: [{ allow: ['Group'] }] },
        ],
      },
    }),
  );
  const configFiles = [
    path.join(ROOT, 'backstage-config', 'app-config.yaml'),
    path.join(ROOT, 'backstage-config', 'app-config.local.yaml'),
    path.join(work, 'app-config.test.yaml'),
  ];
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    NODE_ENV: 'development',
    PORTAL_DB_PORT: String(pg.port),
    PORTAL_DB_USER: pg.user,
    PORTAL_DB_PASSWORD: pg.password,
  };
  await checkConfig(configFiles, env);
  backend = startBackend({ configFiles, env, port, readyTimeoutMs: 180_000 });
  await backend.ready;
  browser = await launchChromium();
  console.info(`portal (local layer) and Chromium ready in ${Date.now() - t0} ms`);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stopPortalRun({ backend, pg, work });
  console.info(`browser suite: ${Date.now() - t0} ms`);
}, 120_000);

/** A new context signed in as guest, on `path`; the page's problems collected. */
async function signedIn(
  target: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[]; outside: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const outside: string[] = [];
  await context.route(
    (url) => url.origin !== baseUrl,
    async (route) => {
      outside.push(route.request().url());
      await route.abort();
    },
  );
  const page = await context.newPage();
  const { problems } = watchPage(page);
  // Any page of the app asks to sign in first, then shows itself.
  await page.goto(`${baseUrl}${target}`);
  await page.getByText('Enter as a Guest User').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByText('Enter as a Guest User').waitFor({ state: 'detached', timeout: 60_000 });
  return { context, page, problems, outside };
}

/**
 * Another page of the app, loaded anew. Leaving a page aborts the script chunks it was still
 * fetching (the bundle prefetches them): those aborts, and only those, are not problems.
 */
async function visit(page: Page, problems: string[], target: string): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 60_000 });
  const before = problems.length;
  await page.goto(`${baseUrl}${target}`);
  const aborted = new RegExp(`^failed: ${baseUrl}/static/[^ ]+\\.js net::ERR_ABORTED$`);
  const during = problems.splice(before).filter((p) => !aborted.test(p));
  problems.push(...during);
}

/** The problems but the aborted requests to other origins (recorded in `outside`). */
const unexpected = (problems: string[], outside: string[]): string[] =>
  problems.filter((p) => !outside.some((u) => p.includes(u)));

describe('the portal in Chromium, signed in as guest (local layer)', { timeout: 180_000 }, () => {
  it('lists the platform System, its Components, the Resource, the APIs and the Templates', async () => {
    const { context, page, problems, outside } = await signedIn('/');
    const kinds = [...new Set([...PLATFORM.map((e) => e.kind), 'Template'])];
    for (const kind of kinds) {
      await visit(
        page,
        problems,
        `/?filters%5Bkind%5D=${kind.toLowerCase()}&filters%5Buser%5D=all`,
      );
      const titles =
        kind === 'Template'
          ? TEMPLATES.map((t) => t.title)
          : PLATFORM.filter((e) => e.kind === kind).map((e) => e.title);
      for (const title of titles) {
        // Catalog ingestion runs in the background after the backend is ready.
        await page
          .getByRole('link', { name: title, exact: true })
          .first()
          .waitFor({ timeout: 90_000 });
      }
      if (kind === 'Component') await page.screenshot({ path: screenshotPath('catalog') });
    }
    expect(unexpected(problems, outside)).toEqual([]);
    expect(outside).toEqual([]);
    await context.close();
  });

  it("renders an API entity's OpenAPI definition", async () => {
    const api = PLATFORM.find((e) => e.kind === 'API')!;
    const { context, page, problems, outside } = await signedIn(
      `/catalog/default/api/${api.name}/definition`,
    );
    const definition = parse(
      (
        parseAllDocuments(fs.readFileSync(path.join(DIST, 'catalog', 'platform.yaml'), 'utf8'))
          .map((d) => d.toJS())
          .find((e) => e.kind === 'API' && e.metadata.name === api.name) as {
          spec: { definition: string };
        }
      ).spec.definition,
    ) as { info: { title: string }; components: { schemas: Record<string, unknown> } };
    // Swagger UI's rendering: the document's title and its schemas section.
    await page.getByText(definition.info.title).first().waitFor({ timeout: 90_000 });
    await page.getByText('Schemas').first().waitFor({ timeout: 30_000 });
    for (const schema of Object.keys(definition.components.schemas)) {
      await page.getByText(schema, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    await page.screenshot({ path: screenshotPath('api-definition') });
    expect(unexpected(problems, outside)).toEqual([]);
    await context.close();
  });

  it("lists the four templates; the team-namespace form has the XRD's fields, refuses a bad name, reviews a good one", async () => {
    const { context, page, problems, outside } = await signedIn('/create');
    expect(TEMPLATES).toHaveLength(4);
    for (const t of TEMPLATES) {
      await page.getByText(t.title, { exact: true }).first().waitFor({ timeout: 90_000 });
    }
    const tn = TEMPLATES.find((t) => t.name === 'team-namespace')!;
    await visit(page, problems, `/create/templates/default/${tn.name}`);
    const props = tn.parameters[0].properties;
    for (const field of ['name', 'owner', 'size', 'viewers']) {
      await page
        .getByText(props[field].title as string)
        .first()
        .waitFor({ timeout: 60_000 });
    }
    // Size: the XRD's enum, as a select of its values.
    await page.locator('#root_size').click();
    for (const size of props.size.enum as string[]) {
      await page.getByRole('option', { name: size, exact: true }).waitFor({ timeout: 10_000 });
    }
    await page.getByRole('option', { name: 'medium', exact: true }).click();
    // The owner: a Group from the catalog, chosen in the picker (no free text).
    await page.locator('#root_owner').click();
    await page.getByRole('option', { name: /\/team-a$/ }).click();
    await page.locator('#root_name').fill('Not_A_Name');
    await page.getByRole('button', { name: /^(next|review)$/i }).click();
    // The name's JSON Schema pattern refuses it in the form, before any request, with its message.
    await page
      .getByText(`must match pattern "${props.name.pattern as string}"`)
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('template-form'), fullPage: true });
    // A valid name passes; the review step shows the values entered.
    await page.locator('#root_name').fill('team-a-apps');
    await page.getByRole('button', { name: /^review$/i }).click();
    await page.getByRole('button', { name: /^create$/i }).waitFor({ timeout: 30_000 });
    for (const value of ['team-a-apps', 'medium', 'group:default/customers-team-a']) {
      await page.getByText(value, { exact: true }).first().waitFor({ timeout: 10_000 });
    }
    // The form logs the refusal it shows; nothing else may go wrong.
    expect(
      unexpected(problems, outside).filter((p) => !p.startsWith('console: Form validation failed')),
    ).toEqual([]);
    await context.close();
  });
});
