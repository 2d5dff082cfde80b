/**
 * What every test that boots the portal's backend prepares the same way (e2e, browser, image,
 * the Kubernetes view): a folder for the run, a throwaway PostgreSQL in it, and the stack's
 * generated config layer as the dev stack makes it (no TechDocs bucket: local storage in the
 * folder). The layers, environment and backend each test starts are its own.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  freePort,
  startPostgres,
  type Backend,
  type Postgres,
} from '../backstage-config/backend/src/launch';
import { stackConfigLayer, type StackLayerArgs } from '../infra/backstage-spec';

/** A run's folder, readable by PostgreSQL, which runs as its own user when tests run as root. */
export function portalWorkDir(prefix: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(work, 0o755);
  return work;
}

/** PostgreSQL with its data in `<work>/postgres`, on a free port, a password of its own. */
export async function startTestPostgres(work: string): Promise<Postgres> {
  return startPostgres({
    dataDir: path.join(work, 'postgres'),
    port: await freePort(),
    password: randomBytes(16).toString('base64url'),
    persistent: false,
    database: 'backstage',
  });
}

/**
 * Writes the dev stack's layer, its TechDocs in `<work>/techdocs`, with the stack's portal title
 * and organization name when given; returns the file.
 */
export function writeStackLayer(
  work: string,
  texts: Pick<StackLayerArgs, 'portalTitle' | 'organizationName'> = {},
): string {
  const layer = stackConfigLayer({
    techdocs: { volumeSize: '5Gi' },
    adminGroups: ['group:default/platform-team'],
    ...texts,
  }) as { techdocs: { publisher: { local: { publishDirectory: string } } } };
  layer.techdocs.publisher.local.publishDirectory = path.join(work, 'techdocs');
  const file = path.join(work, 'app-config.stack.yaml');
  fs.writeFileSync(file, stringify(layer));
  return file;
}

/**
 * Stops what a run started, backend before its database, then removes its folder
 * asynchronously (a production install is some 40,000 files: minutes on a loaded disk, during
 * which a synchronous removal would block the hook's own timeout).
 */
export async function stopPortalRun(run: {
  backend?: Backend;
  pg?: Postgres;
  work?: string;
}): Promise<void> {
  await run.backend?.stop();
  await run.pg?.stop();
  if (run.work !== undefined) await fs.promises.rm(run.work, { recursive: true, force: true });
}
