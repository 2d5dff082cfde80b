/**
 * The platform on a test control plane, as `pulumi up` leaves it (minus the workloads, which no
 * kubelet would run): the upstream CRDs, the stack's namespaces, the Kro and Crossplane charts'
 * RBAC with their controllers running as the charts' ServiceAccounts, the password seed, and
 * every object of dist/platform applied server-side. Also the composition functions, for
 * `crossplane composition render`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  type Cluster,
  field,
  type Identity,
  type KubectlResult,
  metaOf,
  START_TIMEOUT_MS,
  startCluster,
  waitUntil,
} from './cluster';
import {
  DIST_PLATFORM,
  installCrds,
  type Manifest,
  planObjects,
  startControllerManager,
  startCrossplane,
  startKro,
  upstreamCrds,
  yamlObjects,
} from './cluster-addons';
import { BUILD_TIMEOUT_MS, UPSTREAM_PROGRAMS, controlPlaneCommand } from './control-plane-build';
import { type Renderer, startRenderer } from './crossplane-render';

/**
 * A beforeAll that builds what is missing (each build is timed on stdout) and starts everything.
 * Builds are serialized across workers, so one file may wait for all of them.
 */
export const SETUP_TIMEOUT_MS = UPSTREAM_PROGRAMS.length * BUILD_TIMEOUT_MS;
/** Controllers reconcile within seconds; allow for two loaded cores. */
export const RECONCILE_TIMEOUT_MS = 90_000;
/** A test against the cluster: a few kubectl calls and waits. */
export const CLUSTER_TEST_TIMEOUT_MS = 3 * RECONCILE_TIMEOUT_MS;

export const distFiles = (): string[] =>
  fs
    .readdirSync(DIST_PLATFORM)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(DIST_PLATFORM, f));

export const distObjects = (): Manifest[] =>
  distFiles().flatMap((f) => yamlObjects(fs.readFileSync(f, 'utf8')));

export interface Platform {
  readonly cluster: Cluster;
  readonly renderer: Renderer;
  readonly kro?: Identity;
  readonly crossplane?: Identity;
  /** kubectl's answer to the server-side apply of dist/platform. */
  readonly applied: KubectlResult;
}

/** Builds every program first, so that the start below is not cut short by a build. */
export async function buildAll(): Promise<void> {
  for (const p of UPSTREAM_PROGRAMS) await controlPlaneCommand(p);
  await controlPlaneCommand('pki');
}

/** Starts the platform; with PLATFORM_TEST_CLUSTER=existing, only applies dist/platform. */
export async function startPlatform(): Promise<Platform> {
  await buildAll();
  const cluster = await startCluster();
  try {
    let kro: Identity | undefined;
    let crossplane: Identity | undefined;
    if (cluster.owned) {
      await installCrds(cluster, upstreamCrds());
      await startControllerManager(cluster);
      const namespaces = await cluster.apply(planObjects('core/v1:Namespace'));
      if (namespaces.status !== 0) throw new Error(`namespaces: ${namespaces.stderr}`);
      kro = await startKro(cluster);
      crossplane = (await startCrossplane(cluster)).core;
      await createPasswordSeed(cluster);
    }
    const applied = await cluster.apply(distObjects());
    const renderer = await startRenderer(cluster);
    return {
      cluster,
      renderer,
      applied,
      ...(kro === undefined ? {} : { kro }),
      ...(crossplane === undefined ? {} : { crossplane }),
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

/**
 * The password seed the stack creates: its Secret from the plan, with the value the stack puts in
 * whichever field it fills: the base64 of 48 random bytes (`RandomBytes.base64`). One with a `+`
 * or `/` in it, as 87% of them have, so that a seed stored in a way Kro cannot read fails here
 * every time, not now and then.
 */
async function createPasswordSeed(cluster: Cluster): Promise<void> {
  const seeds = planObjects('core/v1:Secret').filter((s) => /password-seed/.test(metaOf(s).name));
  let value = '';
  while (!/[+/]/.test(value)) value = randomBytes(48).toString('base64');
  for (const seed of seeds) {
    const field = seed.stringData !== undefined ? 'stringData' : 'data';
    await cluster.applyOk([{ ...seed, [field]: { seed: value } }]);
  }
}

/** Waits until `check` holds for the object (re-read every 250 ms). */
export async function waitForObject(
  cluster: Cluster,
  what: { resource: string; name: string; namespace?: string },
  check: (o: Manifest) => boolean,
  describe: string,
  diagnose: () => string = () => '',
): Promise<Manifest> {
  let last: Manifest | undefined;
  await waitUntil(
    `${what.resource} ${what.name} ${describe}`,
    async () => {
      last = await cluster.get(what.resource, what.name, what.namespace);
      return last !== undefined && check(last);
    },
    RECONCILE_TIMEOUT_MS,
    () => `last seen: ${JSON.stringify(last?.status ?? last ?? null)}\n${diagnose()}`,
  );
  return last as Manifest;
}

export const condition = (o: Manifest, type: string): Manifest | undefined =>
  field<Manifest[]>(o, 'status', 'conditions')?.find((c) => c.type === type);

export { START_TIMEOUT_MS };

/**
 * A team namespace as Crossplane makes it: the XR applied, its composition rendered by
 * `crossplane composition render`, the composed objects applied by Crossplane's own identity
 * (the chart's ServiceAccount), then rendered again with them observed, as Crossplane's next
 * reconcile would, and the XR's status written from that. Crossplane's core does not compose in
 * this cluster itself (its function packages are never installed: no registry, no kubelet), so
 * the tests do what it would, with its own render engine.
 */
export async function composeTeamNamespace(
  platform: Platform,
  claim: Manifest,
): Promise<Manifest[]> {
  const { cluster, renderer } = platform;
  const as = platform.crossplane === undefined ? {} : { as: platform.crossplane };
  const name = metaOf(claim).name;
  // The XR first: the composed objects are owned by it (the garbage collector deletes objects
  // whose owner does not exist), so they must name its uid.
  await cluster.applyOk([claim]);
  const xr = (await cluster.get(claim.kind as string, name)) as Manifest;
  const composed = await renderer.render(xr);
  if (composed.status !== 0) throw new Error(`render ${name}: ${composed.stderr}`);
  await cluster.applyOk(composed.composed, as);
  const observed = await Promise.all(
    composed.composed.map(async (o) => {
      const { resource } = await cluster.resourceOf(o.apiVersion as string, o.kind as string);
      return (await cluster.get(resource, metaOf(o).name, metaOf(o).namespace)) as Manifest;
    }),
  );
  const again = await renderer.render(xr, { observed });
  if (again.status !== 0 || again.xr === undefined)
    throw new Error(`render ${name}: ${again.stderr}`);
  await cluster.kubectlOk(
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=crossplane',
      '--subresource=status',
      '-f',
      '-',
    ],
    {
      ...as,
      input: stringify({
        apiVersion: field<string>(xr, 'apiVersion'),
        kind: field<string>(xr, 'kind'),
        metadata: { name },
        status: field<Manifest>(again.xr, 'status'),
      }),
    },
  );
  return composed.composed;
}

/**
 * Applies an edited copy of `claim` (the original is left as it is): how the tests bring bad
 * input to the real engines.
 */
export function applyEdited(
  platform: Platform,
  claim: Manifest,
  edit: (c: Manifest) => void,
): ReturnType<Platform['cluster']['apply']> {
  const c = structuredClone(claim);
  edit(c);
  return platform.cluster.apply([c]);
}
