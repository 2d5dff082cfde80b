/**
 * Builds the programs of testing/control-plane/ on first use into a cache outside the repository,
 * one folder per component and version, and reuses them while the module's pins, the Go
 * toolchain and (for our own commands) the sources stay the same. Everything comes through the
 * Go module proxy. A build is announced and timed on stdout; builds are serialized across test
 * workers and processes with a lock directory (two `go build`s at once on two cores only thrash).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { versions } from '../versions';

export const CONTROL_PLANE_DIR = path.resolve(__dirname, 'control-plane');

/**
 * How long one build may take. The slowest, kube-apiserver cold (empty Go build cache), took
 * ~12 min on two cores busy with other jobs; allow for that three times over.
 */
export const BUILD_TIMEOUT_MS = 40 * 60_000;
/** Cache entries unused for this long are removed after a build. */
const CACHE_KEEP_MS = 7 * 24 * 3600_000;

/** Our own commands (testing/control-plane/cmd/), built together: they share nearly all packages. */
const LOCAL = [
  'helm-template',
  'kro-build',
  'kro-render',
  'pki',
  'pod-security',
  'vap-check',
] as const;

interface Upstream {
  /** Its package path, a `tool` of go.mod (built with the module's one set of dependencies). */
  readonly pkg: string;
  readonly label: string;
  /**
   * Built in its own module at this version instead (its go.mod and go.sum, as released), for
   * a program whose dependencies cannot share ours.
   */
  readonly ownModule?: { readonly path: string; readonly version: string };
}

const cp = versions.controlPlane;
const UPSTREAM = {
  etcd: { pkg: 'go.etcd.io/etcd/server/v3', label: `etcd ${cp.etcd}` },
  'kube-apiserver': {
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    label: `Kubernetes ${cp.kubernetes}`,
  },
  'kube-controller-manager': {
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    label: `Kubernetes ${cp.kubernetes}`,
  },
  kubectl: { pkg: 'k8s.io/kubernetes/cmd/kubectl', label: `Kubernetes ${cp.kubernetes}` },
  'kro-controller': {
    pkg: 'github.com/kubernetes-sigs/kro/cmd/controller',
    label: `Kro ${versions.kro.chart}`,
  },
  crossplane: {
    pkg: 'github.com/crossplane/crossplane/v2/cmd/crossplane',
    label: `Crossplane ${versions.crossplane.chart}`,
  },
  'crossplane-cli': {
    pkg: 'github.com/crossplane/cli/v2/cmd/crossplane',
    label: `Crossplane CLI ${cp.crossplaneCli}`,
  },
  'function-auto-ready': {
    pkg: 'github.com/crossplane/function-auto-ready',
    label: `function-auto-ready ${versions.crossplaneFunctions.autoReady.version}`,
  },
  'function-patch-and-transform': {
    pkg: '.',
    label: `function-patch-and-transform ${cp.patchAndTransformModule}`,
    // Its crossplane-runtime (v2.1) still has apis/common/v1, which the v2.3 that Crossplane
    // 2.3.4 needs removed: it cannot share our module's dependencies.
    ownModule: {
      path: 'github.com/crossplane-contrib/function-patch-and-transform',
      version: cp.patchAndTransformModule,
    },
  },
} satisfies Record<string, Upstream>;

export type LocalCommand = (typeof LOCAL)[number];
export type UpstreamProgram = keyof typeof UPSTREAM;
export type ControlPlaneProgram = LocalCommand | UpstreamProgram;
export const UPSTREAM_PROGRAMS = Object.keys(UPSTREAM) as UpstreamProgram[];

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const goVersion = (): string =>
  execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();

function hashOf(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The module's own sources: any change to them (or to the toolchain) is a new cache entry. */
function sourceHash(): string {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) =>
        e.isDirectory()
          ? walk(path.join(dir, e.name))
          : /\.go$|^go\.(mod|sum)$/.test(e.name)
            ? [path.join(dir, e.name)]
            : [],
      );
  return hashOf([
    goVersion(),
    ...walk(CONTROL_PLANE_DIR).flatMap((f) => [
      path.relative(CONTROL_PLANE_DIR, f),
      fs.readFileSync(f),
    ]),
  ]);
}

/** The pins an upstream program is built from: go.mod and go.sum, or its own release. */
function pinHash(program: UpstreamProgram): string {
  const u: Upstream = UPSTREAM[program];
  if (u.ownModule !== undefined)
    return hashOf([goVersion(), u.ownModule.path, u.ownModule.version]);
  return hashOf([
    goVersion(),
    u.pkg,
    fs.readFileSync(path.join(CONTROL_PLANE_DIR, 'go.mod')),
    fs.readFileSync(path.join(CONTROL_PLANE_DIR, 'go.sum')),
  ]);
}

export function cacheRoot(): string {
  return (
    process.env.PLATFORM_TEST_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'platform-as-code')
  );
}

function entryFor(program: ControlPlaneProgram): { dir: string; label: string } {
  if ((LOCAL as readonly string[]).includes(program)) {
    return {
      dir: path.join(cacheRoot(), `control-plane-commands-${sourceHash()}`),
      label: 'the platform tests commands (./cmd/...)',
    };
  }
  const u: Upstream = UPSTREAM[program as UpstreamProgram];
  const version = u.label.split(' ').pop() ?? '';
  return {
    dir: path.join(
      cacheRoot(),
      `control-plane-${program}-${version}-${pinHash(program as UpstreamProgram)}`,
    ),
    label: `${program} (${u.label})`,
  };
}

/** Whether the process that took a lock is gone (the lock holds its pid). */
function holderIsGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Being taken or released (look again), unless its holder died before writing its pid.
    const stat = fs.statSync(lock, { throwIfNoEntry: false });
    return stat !== undefined && Date.now() - stat.mtimeMs > 60_000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Takes the lock directory, waiting while another worker builds; a dead holder's lock is taken over. */
async function withLock<T>(lock: string, body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (holderIsGone(lock)) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(1000);
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** `go build` of one program (or of all our commands) into `out`. */
async function goBuild(program: ControlPlaneProgram, out: string): Promise<void> {
  const options = { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 };
  if ((LOCAL as readonly string[]).includes(program)) {
    await run('go', ['build', '-o', `${out}${path.sep}`, './cmd/...'], {
      ...options,
      cwd: CONTROL_PLANE_DIR,
    });
    return;
  }
  const u: Upstream = UPSTREAM[program as UpstreamProgram];
  if (u.ownModule === undefined) {
    await run('go', ['build', '-o', path.join(out, program), u.pkg], {
      ...options,
      cwd: CONTROL_PLANE_DIR,
    });
    return;
  }
  // The release's module from the proxy (checked against the checksum database), built with
  // its own go.mod and go.sum, outside any other module.
  const { stdout } = await run(
    'go',
    ['mod', 'download', '-json', `${u.ownModule.path}@${u.ownModule.version}`],
    { ...options, cwd: os.tmpdir(), env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' } },
  );
  const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
  await run('go', ['build', '-o', path.join(out, program), u.pkg], {
    ...options,
    cwd: dir,
    env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=readonly -buildvcs=false' },
  });
}

/** The path of a built program; builds it (announced and timed) when the cache has none. */
export async function controlPlaneCommand(program: ControlPlaneProgram): Promise<string> {
  const { dir, label } = entryFor(program);
  const binary = path.join(dir, program);
  if (fs.existsSync(binary)) {
    const now = new Date();
    fs.utimesSync(dir, now, now);
    return binary;
  }
  fs.mkdirSync(cacheRoot(), { recursive: true });
  return withLock(path.join(cacheRoot(), 'control-plane-build.lock'), async () => {
    if (fs.existsSync(binary)) return binary;
    const started = Date.now();
    console.log(`control-plane: building ${label} into ${dir}`);
    const partial = `${dir}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial);
    try {
      await goBuild(program, partial);
    } catch (e) {
      fs.rmSync(partial, { recursive: true, force: true });
      const err = e as { stderr?: string; message: string };
      throw new Error(`control-plane: building ${label} failed:\n${err.stderr ?? err.message}`, {
        cause: e,
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
    console.log(`control-plane: built ${label} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    pruneCache();
    if (!fs.existsSync(binary)) throw new Error(`go build made no ${program} in ${dir}`);
    return binary;
  });
}

/** Removes the builds that no run has used for a week. */
function pruneCache(): void {
  const root = cacheRoot();
  for (const entry of fs.readdirSync(root)) {
    const dir = path.join(root, entry);
    if (!/^control-plane-[^.]+$/.test(entry) || entry.endsWith('.lock')) continue;
    if (Date.now() - fs.statSync(dir).mtimeMs > CACHE_KEEP_MS) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
