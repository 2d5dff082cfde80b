/**
 * The portal's Kubernetes view on a real API server: the backend package boots with the
 * production layers and one cluster entry for the test control plane (testing/platform-cluster.ts),
 * reached with a ServiceAccount token bound to the stack's read-only ClusterRole
 * (`platform:backstage:kubernetes-reader`, from the offline plan), and returns, for a catalog
 * entity annotated with `backstage.io/kubernetes-id`, the objects Kro created for a database in
 * its team namespace; and Chromium shows them on the entity's Kubernetes tab, signed in as a
 * member of a team (not the platform team: the permission policy's team rule is what lets them
 * read Kubernetes). GitLab sign-in cannot complete without a GitLab server, so the test layer
 * adds the guest provider with that team's ownership: the only difference from production in
 * what the browser meets.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readConfigLayer } from '../../infra/backstage-config';
import { gitlabEnv } from '../../infra/backstage-spec';
import { type Manifest, planObjects } from '../../testing/cluster-addons';
import {
  CLUSTER_TEST_TIMEOUT_MS,
  composeTeamNamespace,
  type Platform,
  SETUP_TIMEOUT_MS,
  startPlatform,
  waitForObject,
} from '../../testing/platform-cluster';
import { launchChromium, signInAsGuest, unexpected } from '../../testing/browser';
import { PORTAL_TEST_ENV } from '../../testing/portal-env';
import { screenshotPath } from '../../testing/screenshots';
import { templateClaim, templateFiles } from '../../testing/template-claims';
import { DEV_STACK } from '../../testing/template-run';
import {
  portalWorkDir,
  startTestPostgres,
  writeStackLayer,
  stopPortalRun,
} from '../../testing/portal-fixture';
import { type Backend, checkConfig, freePort, startBackend, type Postgres } from './src/launch';

const ROOT = path.resolve(__dirname, '..', '..');
const TOKEN = randomBytes(24).toString('base64url');
const ENTITY = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'orders-db',
    annotations: {
      'backstage.io/kubernetes-id': 'orders',
      'backstage.io/kubernetes-namespace': 'team-a',
    },
  },
  spec: { type: 'database', owner: 'group:default/platform-team' },
};

/** The team the browser's user belongs to (a Group of the template examples' stack). */
const TEAM_GROUP = 'group:default/customers-team-a';

let platform: Platform;
let browser: Browser | undefined;
let pg: Postgres | undefined;
let backend: Backend | undefined;
let work: string;
let baseUrl: string;

beforeAll(async () => {
  work = portalWorkDir('portal-k8s-');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // PostgreSQL starts while the control plane does.
  [platform, pg] = await Promise.all([startPlatform(), startTestPostgres(work)]);
  const { cluster } = platform;
  const team = parse(
    (await templateFiles('team-namespace'))['claims/teamnamespaces/team-a.yaml'],
  ) as Manifest;
  await composeTeamNamespace(platform, team);
  await cluster.applyOk([await templateClaim('postgres-database')]);
  await waitForObject(
    cluster,
    { resource: 'deployment', name: 'orders', namespace: 'team-a' },
    () => true,
    'created by Kro',
    () => cluster.log('kro'),
  );
  // The portal's ServiceAccount (the Backstage chart's), bound as the stack binds it.
  await cluster.applyOk([
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'backstage', namespace: 'backstage' },
    },
    ...planObjects('rbac.authorization.k8s.io/v1:ClusterRole').filter(
      (r) => r.metadata.name === 'platform:backstage:kubernetes-reader',
    ),
    ...planObjects('rbac.authorization.k8s.io/v1:ClusterRoleBinding').filter(
      (r) => r.metadata.name === 'platform:backstage:kubernetes-reader',
    ),
  ]);
  const saToken = (
    await cluster.kubectlOk(['-n', 'backstage', 'create', 'token', 'backstage', '--duration=1h'])
  ).trim();
  const server = /server: (\S+)/.exec(fs.readFileSync(cluster.kubeconfig, 'utf8'))?.[1] as string;

  const stackLayerFile = writeStackLayer(work);
  const production = readConfigLayer('app-config.production.yaml') as any;
  // The production layer's one cluster, pointed at the test API server: only the address and
  // the credentials differ (the pod's token file and CA file become values).
  const [inCluster] = production.kubernetes.clusterLocatorMethods[0].clusters;
  const { caFile: _, ...clusterEntry } = inCluster;
  const entitiesFile = path.join(work, 'entities.yaml');
  fs.writeFileSync(entitiesFile, stringify(ENTITY));
  const testLayer = {
    backend: {
      auth: {
        externalAccess: [
          ...production.backend.auth.externalAccess,
          {
            type: 'static',
            options: { token: '${PORTAL_K8S_TOKEN}', subject: 'portal-k8s-test' },
            accessRestrictions: [
              { plugin: 'catalog' },
              {
                plugin: 'kubernetes',
                permission: ['kubernetes.clusters.read', 'kubernetes.resources.read'],
              },
            ],
          },
        ],
      },
    },
    auth: {
      providers: {
        guest: {
          dangerouslyAllowOutsideDevelopment: true,
          userEntityRef: 'user:default/team-a-developer',
          ownershipEntityRefs: [TEAM_GROUP],
        },
      },
    },
    platform: { signIn: { providers: ['guest'] } },
    catalog: {
      locations: [
        ...(readConfigLayer('app-config.yaml').catalog as { locations: unknown[] }).locations,
        { type: 'file', target: entitiesFile },
      ],
    },
    kubernetes: {
      ...production.kubernetes,
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              ...clusterEntry,
              url: server,
              serviceAccountToken: '${K8S_SA_TOKEN}',
              caData: fs.readFileSync(path.join(cluster.dir, 'pki', 'ca.crt')).toString('base64'),
            },
          ],
        },
      ],
    },
  };
  fs.writeFileSync(path.join(work, 'app-config.test.yaml'), stringify(testLayer));
  const configFiles = [
    path.join(ROOT, 'backstage-config', 'app-config.yaml'),
    path.join(ROOT, 'backstage-config', 'app-config.production.yaml'),
    stackLayerFile,
    path.join(work, 'app-config.test.yaml'),
  ];
  const env = {
    ...process.env,
    ...PORTAL_TEST_ENV,
    ...gitlabEnv({ url: DEV_STACK.gitlabUrl, ...DEV_STACK }),
    NODE_ENV: 'production',
    BACKSTAGE_BASE_URL: baseUrl,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PASSWORD: pg.password,
    BACKEND_EXTERNAL_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
    PORTAL_K8S_TOKEN: TOKEN,
    K8S_SA_TOKEN: saToken,
  };
  await checkConfig(configFiles, env);
  backend = startBackend({ configFiles, env, port, readyTimeoutMs: 90_000 });
  [browser] = await Promise.all([launchChromium(), backend.ready]);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await stopPortalRun({ backend, pg });
  await platform?.cluster.stop();
  await stopPortalRun({ work });
}, 60_000);

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${baseUrl}${p}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });

/** Waits until the catalog has ingested ENTITY from its file location. */
async function entityIngested(): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if ((await api('/api/catalog/entities/by-name/resource/default/orders-db')).ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('resource:default/orders-db was not ingested within 2 minutes');
}

describe(
  "the portal's Kubernetes view on the API server",
  { timeout: CLUSTER_TEST_TIMEOUT_MS },
  () => {
    it("returns the objects Kro created for the entity's kubernetes-id, in its namespace", async () => {
      await entityIngested();
      const res = await api('/api/kubernetes/services/orders-db', {
        method: 'POST',
        body: JSON.stringify({
          entity: { kind: 'Resource', metadata: { name: 'orders-db', namespace: 'default' } },
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        items: {
          cluster: { name: string };
          errors: unknown[];
          resources: { type: string; resources: Manifest[] }[];
        }[];
      };
      expect(body.items.map((i) => i.cluster.name)).toEqual(['platform']);
      const [item] = body.items;
      expect(item.errors).toEqual([]);
      const found = Object.fromEntries(
        item.resources.map((r) => [
          r.type,
          r.resources.map((o) => `${o.metadata.namespace as string}/${o.metadata.name as string}`),
        ]),
      );
      expect(found).toMatchObject({ deployments: ['team-a/orders'], services: ['team-a/orders'] });
      // Nothing of another id or namespace.
      expect(
        Object.values(found)
          .flat()
          .every((n) => n.startsWith('team-a/orders')),
      ).toBe(true);
    });

    it("shows them on the entity's Kubernetes tab, in Chromium", async () => {
      await entityIngested();
      const signedIn = await signInAsGuest(
        browser!,
        baseUrl,
        '/catalog/default/resource/orders-db/kubernetes',
      );
      const { page } = signedIn;
      // The cluster by its title in the production layer, with no pod (no kubelet runs); opened,
      // the Deployment and the Service Kro created, by name.
      const cluster = page.getByText(clusterTitle(), { exact: true }).first();
      await cluster.waitFor({ timeout: 90_000 });
      await page.getByText('0 pods', { exact: true }).first().waitFor({ timeout: 30_000 });
      await cluster.click();
      // Each object is an accordion whose summary (a button) reads its name, kind and namespace.
      for (const kind of ['Deployment', 'Service']) {
        await page
          .getByRole('button', { name: `orders ${kind} namespace: team-a` })
          .first()
          .waitFor({ timeout: 30_000 });
      }
      await page.screenshot({ path: screenshotPath('kubernetes'), fullPage: true });
      expect(unexpected(signedIn)).toEqual([]);
      expect(signedIn.outside).toEqual([]);
      await signedIn.context.close();
    });
  },
);

/** The title of the production layer's one cluster. */
function clusterTitle(): string {
  const production = readConfigLayer('app-config.production.yaml') as {
    kubernetes: { clusterLocatorMethods: { clusters: { title: string }[] }[] };
  };
  return production.kubernetes.clusterLocatorMethods[0].clusters[0].title;
}
