/**
 * One start of the portal for `npm run bench`, in a process of its own as `npm run portal` is:
 * the configuration checked, PostgreSQL started from npm on `--data` (created when missing), the
 * backend started and awaited, as scripts/portal.ts does with the local layers. With
 * `--entities N`, a file location of N generated Components is added, and the run also waits
 * until the catalog API lists all of them. Prints one JSON line, `{ readyMs, ingestMs? }`,
 * measured from this process's own start, then stops both.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  BACKEND_DIR,
  checkConfig,
  freePort,
  migrationsFor,
  persistentDatabase,
  startBackend,
  startPostgres,
} from '../../backstage-config/backend/src/launch';

const LOCAL_LAYERS = ['app-config.yaml', 'app-config.local.yaml'].map((f) =>
  path.resolve(BACKEND_DIR, '..', f),
);
/** Where the generated entities live: a namespace of their own, to count them. */
const NAMESPACE = 'bench';

/** The catalog's count of the generated entities. */
async function ingested(baseUrl: string, token: string): Promise<number> {
  const res = await fetch(
    `${baseUrl}/api/catalog/entities/by-query?limit=1&filter=kind=component,metadata.namespace=${NAMESPACE}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (!res.ok) throw new Error(`catalog API: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { totalItems: number }).totalItems;
}

async function main(): Promise<void> {
  const start = performance.timeOrigin;
  const { values } = parseArgs({
    options: { data: { type: 'string' }, entities: { type: 'string', default: '0' } },
  });
  const dataDir = path.resolve(values.data ?? '');
  const entities = Number(values.entities);
  const work = path.dirname(dataDir);
  const token = randomBytes(24).toString('base64url');
  const configFiles = [...LOCAL_LAYERS];
  if (entities > 0) {
    const file = path.join(work, 'entities.yaml');
    fs.writeFileSync(
      file,
      Array.from({ length: entities }, (_, i) =>
        stringify({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: `service-${i}`, namespace: NAMESPACE },
          spec: { type: 'service', lifecycle: 'production', owner: 'group:default/platform-team' },
        }),
      ).join('---\n'),
    );
    const layer = path.join(work, 'app-config.bench.yaml');
    fs.writeFileSync(
      layer,
      stringify({
        backend: {
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token: '${BENCH_TOKEN}', subject: 'bench' },
                accessRestrictions: [{ plugin: 'catalog' }],
              },
            ],
          },
        },
        catalog: {
          // Config arrays replace those of earlier layers: the base layer's locations, and one more.
          locations: [
            ...(parse(fs.readFileSync(LOCAL_LAYERS[0], 'utf8')) as { catalog: { locations: [] } })
              .catalog.locations,
            { type: 'file', target: file, rules: [{ allow: ['Component'] }] },
          ],
        },
      }),
    );
    configFiles.push(layer);
  }
  const port = await freePort();
  // As npm run portal keeps them: the same password and database port from start to start.
  const db = await persistentDatabase(dataDir);
  const [dbPort, password] = [db.port, db.password];
  const env = {
    ...process.env,
    PORTAL_DB_PORT: String(dbPort),
    PORTAL_DB_USER: 'postgres',
    PORTAL_DB_PASSWORD: password,
    BENCH_TOKEN: token,
  };
  await checkConfig(configFiles, env);
  db.save();
  const pg = await startPostgres({
    dataDir,
    port: dbPort,
    password,
    persistent: true,
    database: 'backstage',
  });
  // As npm run portal does: migrations skipped where this same start already ran them.
  const migrations = migrationsFor(db, configFiles, env);
  const backend = startBackend({ configFiles, env: migrations.env, port, readyTimeoutMs: 180_000 });
  try {
    await backend.ready;
    migrations.ready();
    const readyMs = Date.now() - start;
    let ingestMs: number | undefined;
    if (entities > 0) {
      const baseUrl = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 600_000;
      while ((await ingested(baseUrl, token)) < entities) {
        if (Date.now() > deadline) throw new Error(`not all ${entities} entities within 600 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
      ingestMs = Date.now() - start - readyMs;
    }
    console.log(JSON.stringify({ readyMs, ingestMs }));
  } catch (error) {
    console.error(backend.log().slice(-4000));
    throw error;
  } finally {
    await backend.stop();
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
