/**
 * The Go commands of testing/control-plane/, the real engines the platform's output is judged by
 * (kro-build, kro-render, vap-check), built on first use into a cache outside the repository and
 * reused while the module's sources, the Go toolchain and the pinned versions stay the same. A
 * cold build compiles Kro, the Kubernetes libraries and the release's OpenAPI definitions:
 * minutes on a two-core machine, so it is announced and timed on stdout. Builds are serialized
 * across test workers and processes with a lock directory.
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
 * A cold build is about 400 CPU-seconds: measured 5.6 to 9.5 min of wall time on two cores shared
 * with other jobs. Allow three times the worst.
 */
export const BUILD_TIMEOUT_MS = 30 * 60_000;
/** Cache entries (about 220 MB each) unused for this long are removed after a build. */
const CACHE_KEEP_MS = 7 * 24 * 3600_000;
/** One run of a built command over our files takes well under a second; allow for load. */
export const RUN_TIMEOUT_MS = 60_000;

export type ControlPlaneCommand = 'kro-build' | 'kro-render' | 'pod-security' | 'vap-check';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The module's inputs: any change to them (or to the toolchain) is a new cache entry. */
function sourceHash(): string {
  const hash = createHash('sha256');
  hash.update(execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }));
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
  for (const file of walk(CONTROL_PLANE_DIR)) {
    hash.update(path.relative(CONTROL_PLANE_DIR, file)).update('\0').update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function cacheDir(): string {
  const root =
    process.env.PLATFORM_TEST_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'platform-as-code');
  return path.join(root, `control-plane-kro${versions.kro.chart}-${sourceHash()}`);
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

/**
 * The path of a built command. The first call for these sources builds every command of the
 * module in one `go build` (they share nearly all packages: one cold compile, not one each).
 */
export async function controlPlaneCommand(name: ControlPlaneCommand): Promise<string> {
  const dir = cacheDir();
  const binary = path.join(dir, name);
  if (fs.existsSync(binary)) {
    const now = new Date();
    fs.utimesSync(dir, now, now);
    return binary;
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if (fs.existsSync(binary)) return binary;
    const started = Date.now();
    console.log(`control-plane: building ./cmd/... (Kro ${versions.kro.chart}) into ${dir}`);
    const partial = `${dir}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial);
    await run('go', ['build', '-o', `${partial}${path.sep}`, './cmd/...'], {
      cwd: CONTROL_PLANE_DIR,
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
    console.log(`control-plane: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    pruneCache(dir);
    if (!fs.existsSync(binary)) throw new Error(`go build made no ${name} in ${dir}`);
    return binary;
  });
}

/** Removes the builds of other sources that no run has used for a week. */
function pruneCache(current: string): void {
  const root = path.dirname(current);
  for (const entry of fs.readdirSync(root)) {
    const dir = path.join(root, entry);
    if (dir === current || !/^control-plane-[^.]+$/.test(entry)) continue;
    if (Date.now() - fs.statSync(dir).mtimeMs > CACHE_KEEP_MS) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built command; a non-zero exit is a result, not an exception. */
export async function runControlPlane(
  name: ControlPlaneCommand,
  args: readonly string[],
): Promise<CommandResult> {
  const binary = await controlPlaneCommand(name);
  try {
    const { stdout, stderr } = await run(binary, args, {
      timeout: RUN_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string; killed?: boolean };
    if (typeof err.code !== 'number' || err.killed === true) throw e;
    return { status: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** One RGD's outcome as kro-build reports it with `-o json`. */
export interface KroBuildResult {
  readonly source: string;
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly order?: string[];
  readonly dependencies?: Record<string, string[]>;
  /** The generated CRD, as JSON. */
  readonly crd?: Record<string, unknown>;
}

/** Builds every RGD in the YAML files with Kro's graph builder. */
export async function kroBuild(
  files: readonly string[],
): Promise<{ status: number; results: KroBuildResult[]; stderr: string }> {
  const r = await runControlPlane('kro-build', ['-o', 'json', ...files]);
  if (r.status === 2) throw new Error(`kro-build: ${r.stderr}`);
  const results = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KroBuildResult);
  return { status: r.status, results, stderr: r.stderr };
}

/** An admission request for vap-check: the operation and the object(s), as JSON. */
export interface AdmissionRequest {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  readonly object?: Record<string, unknown>;
  readonly oldObject?: Record<string, unknown>;
  /** Labels of the object's namespace (the policies' `namespaceObject`). */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** What vap-check reports: the API server's verdict on each policy and binding, and on each request. */
export interface VapCheckReport {
  readonly rgds: { name: string; ok: boolean; error?: string }[];
  readonly checks: {
    kind: string;
    name: string;
    ok: boolean;
    errors?: string[];
    typeChecked?: string[];
  }[];
  readonly outcomes: {
    allowed: boolean;
    decisions: {
      policy: string;
      binding: string;
      denied: boolean;
      message?: string;
      reason?: string;
    }[];
    error?: string;
  }[];
}

/** Checks the admission policies in the YAML files and evaluates `requests` against them. */
export async function vapCheck(
  files: readonly string[],
  requests: readonly AdmissionRequest[] = [],
): Promise<{ status: number; report: VapCheckReport; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vap-check-'));
  try {
    const requestsFile = path.join(dir, 'requests.json');
    fs.writeFileSync(requestsFile, JSON.stringify(requests));
    const r = await runControlPlane('vap-check', ['-requests', requestsFile, ...files]);
    if (r.status === 2) throw new Error(`vap-check: ${r.stderr}`);
    return { status: r.status, report: JSON.parse(r.stdout) as VapCheckReport, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An instance for kro-render, and the objects the cluster holds for some of its resources. */
export interface RenderRequest {
  /** The RGD's name; optional when the files hold one. */
  readonly rgd?: string;
  readonly instance: Record<string, unknown>;
  /** By resource id; required for external references, otherwise observed as desired. */
  readonly observed?: Record<string, Record<string, unknown>>;
}

/** What Kro's runtime renders for an instance. */
export interface Rendered {
  readonly resources?: Record<string, Record<string, unknown>>;
  readonly ignored?: string[];
  readonly ready?: Record<string, boolean>;
  /** The instance as Kro patches it: `{ status }`. */
  readonly instance?: { status?: Record<string, unknown> };
  readonly error?: string;
}

/** Renders instances of the RGDs in the YAML files with Kro's runtime. */
export async function kroRender(
  files: readonly string[],
  requests: readonly RenderRequest[],
): Promise<{ status: number; renders: Rendered[]; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kro-render-'));
  try {
    const requestsFile = path.join(dir, 'requests.json');
    fs.writeFileSync(requestsFile, JSON.stringify(requests));
    const r = await runControlPlane('kro-render', ['-requests', requestsFile, ...files]);
    if (r.status === 2) throw new Error(`kro-render: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { renders: Rendered[] };
    return { status: r.status, renders: report.renders, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** pod-security's verdict on one pod template. */
export interface PodSecurityResult {
  readonly source: string;
  /** The restricted profile's checks it fails, in Pod Security admission's words. */
  readonly forbidden: string[];
  /** Containers the kubelet could not verify as non-root when the image names its user. */
  readonly unverifiableNonRoot: string[];
}

/**
 * Judges every pod template in the YAML files (Pods, workloads, DeploymentRuntimeConfigs) with
 * Pod Security admission's evaluator ("restricted", latest) and the kubelet's non-root check.
 */
export async function podSecurity(
  files: readonly string[],
): Promise<{ status: number; results: PodSecurityResult[]; stderr: string }> {
  const r = await runControlPlane('pod-security', files);
  if (r.status === 2) throw new Error(`pod-security: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { results: PodSecurityResult[] };
  return { status: r.status, results: report.results, stderr: r.stderr };
}
