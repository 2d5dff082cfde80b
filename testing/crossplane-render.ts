/**
 * Crossplane's own composition: `crossplane composition render` (the Crossplane CLI) with the
 * core binary's render engine (`--crossplane-binary`, no Docker) and the two composition
 * functions we pin, built from their modules and run as local gRPC servers (`--insecure`, on a
 * Unix socket each), reached through the `render.crossplane.io/runtime: Development` annotation.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { type Cluster, field, metaOf, waitUntil, START_TIMEOUT_MS } from './cluster';
import { DIST_PLATFORM, type Manifest, yamlObjects } from './cluster-addons';
import { controlPlaneCommand, type UpstreamProgram } from './control-plane-build';

/** A render takes about a second; allow for a loaded machine. */
export const RENDER_TIMEOUT_MS = 60_000;

const distObjects = (file: string): Manifest[] =>
  yamlObjects(fs.readFileSync(path.join(DIST_PLATFORM, file), 'utf8'));

/** The program that serves a Function package of dist/. */
function programOf(fn: Manifest): UpstreamProgram {
  const pkg = field<string>(fn, 'spec', 'package') ?? '';
  if (pkg.includes('/function-patch-and-transform:')) return 'function-patch-and-transform';
  if (pkg.includes('/function-auto-ready:')) return 'function-auto-ready';
  throw new Error(`no local build for the Function package ${pkg}`);
}

export interface Renderer {
  /** Composes an XR: what `crossplane composition render` prints. */
  render(xr: Manifest, options?: { observed?: readonly Manifest[] }): Promise<RenderResult>;
}

export interface RenderResult {
  readonly status: number;
  /** The XR as the render leaves it (status, conditions). */
  readonly xr?: Manifest;
  /** The composed resources, as Crossplane would apply them. */
  readonly composed: Manifest[];
  readonly stderr: string;
}

/**
 * Starts the functions of dist/platform (as processes of `cluster`, stopped with it) and returns
 * a renderer for the TeamNamespace composition of dist/platform.
 */
export async function startRenderer(cluster: Cluster): Promise<Renderer> {
  const [cli, crossplane] = await Promise.all([
    controlPlaneCommand('crossplane-cli'),
    controlPlaneCommand('crossplane'),
  ]);
  const dir = path.join(cluster.dir, 'render');
  fs.mkdirSync(dir, { recursive: true });
  const functions = distObjects('0000-crossplane-functions.k8s.yaml').filter(
    (o) => o.kind === 'Function',
  );
  const served: Manifest[] = [];
  for (const fn of functions) {
    const meta = metaOf(fn);
    const name = meta.name;
    const socket = path.join(dir, `${name}.sock`);
    await cluster.start(name, programOf(fn), [
      '--insecure',
      '--network=unix',
      `--address=${socket}`,
    ]);
    await waitUntil(
      `function ${name}`,
      () => Promise.resolve(fs.existsSync(socket)),
      START_TIMEOUT_MS,
      () => cluster.log(name),
    );
    served.push({
      ...fn,
      metadata: {
        ...meta,
        annotations: {
          ...meta.annotations,
          'render.crossplane.io/runtime': 'Development',
          'render.crossplane.io/runtime-development-target': `unix://${socket}`,
        },
      },
    });
  }
  const functionsFile = path.join(dir, 'functions.yaml');
  fs.writeFileSync(functionsFile, served.map((f) => stringify(f)).join('---\n'));
  const team = distObjects('0001-team-namespace.k8s.yaml');
  const write = (name: string, objects: readonly Manifest[]): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    return file;
  };
  const composition = write(
    'composition.yaml',
    team.filter((o) => o.kind === 'Composition'),
  );
  const xrd = write(
    'xrd.yaml',
    team.filter((o) => o.kind === 'CompositeResourceDefinition'),
  );
  let n = 0;
  return {
    render: (xr, options = {}) => {
      n += 1;
      const xrFile = write(`xr-${n}.yaml`, [xr]);
      const observed =
        options.observed === undefined
          ? []
          : [`--observed-resources=${write(`observed-${n}.yaml`, options.observed)}`];
      return new Promise((done, fail) => {
        execFile(
          cli,
          [
            'composition',
            'render',
            xrFile,
            composition,
            functionsFile,
            `--crossplane-binary=${crossplane}`,
            `--xrd=${xrd}`,
            ...observed,
            `--timeout=${RENDER_TIMEOUT_MS / 1000 - 5}s`,
          ],
          { cwd: dir, timeout: RENDER_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const e = error as (Error & { code?: unknown; killed?: boolean }) | null;
            if (e !== null && (typeof e.code !== 'number' || e.killed === true)) fail(e);
            else {
              const objects = yamlObjects(stdout);
              const isXr = (o: Manifest): boolean =>
                o.apiVersion === xr.apiVersion && o.kind === xr.kind;
              done({
                status: e === null ? 0 : (e.code as number),
                ...(objects.some(isXr) ? { xr: objects.find(isXr) } : {}),
                composed: objects.filter((o) => !isXr(o)),
                stderr,
              });
            }
          },
        );
      });
    },
  };
}
