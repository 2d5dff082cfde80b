/**
 * Runs our Go commands of testing/control-plane/ (kro-build, kro-render, vap-check,
 * pod-security): the real engines' code the platform's output is judged by offline. They are
 * built on first use (testing/control-plane-build.ts).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { controlPlaneCommand } from './control-plane-build';

export {
  BUILD_TIMEOUT_MS,
  CONTROL_PLANE_DIR,
  controlPlaneCommand,
  type ControlPlaneProgram,
} from './control-plane-build';

/** One run of a built command over our files takes well under a second; allow for load. */
export const RUN_TIMEOUT_MS = 60_000;

export type ControlPlaneCommand = 'kro-build' | 'kro-render' | 'pod-security' | 'vap-check';

const run = promisify(execFile);

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
