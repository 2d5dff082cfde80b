/**
 * A real control plane for tests: etcd and kube-apiserver (built from their Go modules, see
 * testing/control-plane-build.ts) on loopback ports, with certificates generated for the run,
 * RBAC authorization, the ValidatingAdmissionPolicy plugin, an admin identity (a client
 * certificate in `system:masters`) and impersonation to act as anyone else. Controllers
 * (testing/cluster-addons.ts) are started against it with their own identities. No kubelet,
 * scheduler or container runtime runs: nothing is ever scheduled.
 *
 * Every process started here is stopped by its process id in `stop()`, when the test process
 * exits, and, should a test worker die without either, by the next start (which finds the run's
 * folder of a process that is gone and stops the processes it recorded).
 *
 * `PLATFORM_TEST_CLUSTER=existing` uses the cluster of `KUBECONFIG` instead (see the README):
 * nothing is started or stopped, and the tests assume Crossplane and Kro already run there.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import {
  freePort,
  kubeconfigYaml,
  readServer,
  reapOrphans,
  RUN_PREFIX,
  waitUntil,
} from './cluster-processes';
import { controlPlaneCommand, type UpstreamProgram } from './control-plane-build';

const execFileAsync = promisify(execFile);

/** etcd and the API server are ready in 5–15 s on two loaded cores; allow for much worse. */
export const START_TIMEOUT_MS = 120_000;
/** One kubectl call: under a second, a few when the machine is busy. */
export const KUBECTL_TIMEOUT_MS = 60_000;

/**
 * A Kubernetes object of any kind, as read from YAML or JSON: tests inspect them freely.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of every kind and version
export type Manifest = Record<string, any>;

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
export const metaOf = (o: Manifest): ObjectMeta => o.metadata as ObjectMeta;

/** The value at a path of an object, or undefined. */
export function field<T>(o: Manifest | undefined, ...path: (string | number)[]): T | undefined {
  let v: unknown = o;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  return v as T | undefined;
}

/** A user name and its groups, as the API server's authenticators would report them. */
export interface Identity {
  readonly user: string;
  readonly groups?: readonly string[];
}

/** What a SubjectAccessReview asks about (its `resourceAttributes`). */
export interface AccessRequest {
  readonly verb: string;
  readonly group?: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** Act as this identity (impersonation by the admin); default: the admin. */
  readonly as?: Identity;
  readonly input?: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export class Cluster {
  private readonly children: { name: string; child: ChildProcess }[] = [];
  private stopped = false;

  constructor(
    /** The run's folder (certificates, kubeconfigs, data, logs); removed by `stop()`. */
    readonly dir: string,
    /** The admin's kubeconfig. */
    readonly kubeconfig: string,
    /** Whether this harness started the cluster (false: an existing one). */
    readonly owned: boolean,
    private readonly kubectlBinary: string,
  ) {}

  /** Starts a program of the control plane, logging to `<dir>/<name>.log`; its pid is recorded. */
  async start(
    name: string,
    program: UpstreamProgram,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ): Promise<ChildProcess> {
    const binary = await controlPlaneCommand(program);
    const log = fs.openSync(path.join(this.dir, `${name}.log`), 'a');
    const child = spawn(binary, args, {
      cwd: this.dir,
      env: { ...process.env, KUBECONFIG: this.kubeconfig, ...env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    if (child.pid === undefined) throw new Error(`${name}: ${binary} did not start`);
    fs.appendFileSync(path.join(this.dir, 'pids'), `${child.pid}\n`);
    this.children.push({ name, child });
    child.on('exit', (code, signal) => {
      if (!this.stopped) {
        fs.appendFileSync(path.join(this.dir, `${name}.log`), `\n[exited: ${code ?? signal}]\n`);
      }
    });
    return child;
  }

  /** The last lines a started program logged, for failure messages. */
  log(name: string, lines = 40): string {
    const file = path.join(this.dir, `${name}.log`);
    if (!fs.existsSync(file)) return '';
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  }

  /** Runs kubectl against the cluster; a non-zero exit is a result. */
  async kubectl(args: readonly string[], o: KubectlOptions = {}): Promise<KubectlResult> {
    const as =
      o.as === undefined
        ? []
        : [`--as=${o.as.user}`, ...(o.as.groups ?? []).map((g) => `--as-group=${g}`)];
    return new Promise((done, fail) => {
      const child = execFile(
        this.kubectlBinary,
        [...as, ...args],
        {
          cwd: o.cwd ?? this.dir,
          env: { ...process.env, KUBECONFIG: this.kubeconfig, ...o.env },
          timeout: KUBECTL_TIMEOUT_MS,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const e = error as (Error & { code?: unknown; killed?: boolean }) | null;
          if (e !== null && (typeof e.code !== 'number' || e.killed === true)) fail(e);
          else done({ status: e === null ? 0 : (e.code as number), stdout, stderr });
        },
      );
      child.stdin?.end(o.input ?? '');
    });
  }

  /** kubectl that must succeed; returns its stdout. */
  async kubectlOk(args: readonly string[], o: KubectlOptions = {}): Promise<string> {
    const r = await this.kubectl(args, o);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Server-side apply of objects (as the admin unless `as`); a refusal is a result. */
  apply(
    objects: readonly object[],
    o: KubectlOptions & { dryRun?: boolean } = {},
  ): Promise<KubectlResult> {
    // Namespaces first, as a cluster's own order would have them (kubectl keeps the given order).
    const isNamespace = (x: object): boolean => (x as { kind?: string }).kind === 'Namespace';
    const docs = [...objects.filter(isNamespace), ...objects.filter((x) => !isNamespace(x))]
      .map((x) => stringify(x, { lineWidth: 0 }))
      .join('---\n');
    return this.kubectl(
      [
        'apply',
        '--server-side',
        '--field-manager=platform-tests',
        ...(o.dryRun === true ? ['--dry-run=server'] : []),
        '-f',
        '-',
      ],
      { ...o, input: docs },
    );
  }

  /** Server-side apply that must succeed. */
  async applyOk(objects: readonly object[], o: KubectlOptions = {}): Promise<string> {
    const r = await this.apply(objects, o);
    if (r.status !== 0) throw new Error(`apply: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Reads one object as JSON, or undefined when it does not exist. */
  async get(
    resource: string,
    name: string,
    namespace?: string,
    o: { managedFields?: boolean } = {},
  ): Promise<Manifest | undefined> {
    const r = await this.kubectl([
      'get',
      resource,
      name,
      ...(namespace === undefined ? [] : ['-n', namespace]),
      ...(o.managedFields === true ? ['--show-managed-fields'] : []),
      '-o',
      'json',
    ]);
    if (r.status !== 0 && /NotFound|not found/.test(r.stderr)) return undefined;
    if (r.status !== 0) throw new Error(`kubectl get ${resource} ${name}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Manifest;
  }

  /**
   * The API server's own authorization decisions (SubjectAccessReviews) for `identity`, one per
   * request, in order.
   */
  async canI(identity: Identity, requests: readonly AccessRequest[]): Promise<boolean[]> {
    const reviews = requests.map((r) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: identity.user,
        groups: [...(identity.groups ?? []), 'system:authenticated'],
        resourceAttributes: r,
      },
    }));
    const out = await this.kubectlOk(
      ['create', '-o', 'jsonpath={.status.allowed}{"\\n"}', '-f', '-'],
      { input: reviews.map((x) => stringify(x)).join('---\n') },
    );
    const answers = out.trim().split('\n');
    if (answers.length !== requests.length) throw new Error(`SubjectAccessReviews: ${out}`);
    return answers.map((a) => a === 'true');
  }

  /** A kubeconfig that acts as `identity` (the admin's credentials, impersonating it). */
  kubeconfigAs(name: string, identity: Identity, context = 'test'): string {
    const file = path.join(this.dir, `${name}.kubeconfig`);
    fs.writeFileSync(
      file,
      kubeconfigYaml(this.dir, readServer(this.kubeconfig), identity, context),
    );
    return file;
  }

  /** The plural resource name the API server serves a kind as (its discovery). */
  async resourceOf(apiVersion: string, kind: string): Promise<{ group: string; resource: string }> {
    const url = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    this.discovery[url] ??= (
      JSON.parse(await this.kubectlOk(['get', `--raw=${url}`])) as {
        resources: { name: string; kind: string }[];
      }
    ).resources;
    const found = this.discovery[url].find((r) => r.kind === kind && !r.name.includes('/'));
    if (found === undefined) throw new Error(`${apiVersion} ${kind}: not served`);
    return {
      group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '',
      resource: found.name,
    };
  }

  private readonly discovery: Record<string, { name: string; kind: string }[]> = {};

  /** Stops every process this harness started (TERM, then KILL after 10 s) and removes its folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const { child } of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(this);
    if (this.owned && process.env.PLATFORM_TEST_KEEP_CLUSTER === undefined) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Synchronous last resort when the test process exits. */
  killNow(): void {
    for (const { child } of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

const live = new Set<Cluster>();
process.once('exit', () => {
  for (const c of live) c.killNow();
});

/** Starts etcd and kube-apiserver; resolves once the API server answers /readyz. */
export async function startCluster(): Promise<Cluster> {
  const kubectl = await controlPlaneCommand('kubectl');
  if (process.env.PLATFORM_TEST_CLUSTER === 'existing') {
    const kubeconfig = process.env.KUBECONFIG;
    if (kubeconfig === undefined || kubeconfig === '') {
      throw new Error('PLATFORM_TEST_CLUSTER=existing needs KUBECONFIG (the cluster to test on)');
    }
    return new Cluster(
      fs.mkdtempSync(path.join(os.tmpdir(), 'platform-existing-')),
      kubeconfig,
      false,
      kubectl,
    );
  }
  reapOrphans();
  const [etcd, apiserver, pki] = await Promise.all([
    controlPlaneCommand('etcd'),
    controlPlaneCommand('kube-apiserver'),
    controlPlaneCommand('pki'),
  ]);
  void etcd;
  void apiserver;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_PREFIX));
  fs.writeFileSync(path.join(dir, 'owner'), String(process.pid));
  await execFileAsync(pki, [path.join(dir, 'pki'), 'admin=platform-test-admin:system:masters'], {
    timeout: KUBECTL_TIMEOUT_MS,
  });
  const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(dir, `https://127.0.0.1:${port}`));
  const cluster = new Cluster(dir, kubeconfig, true, kubectl);
  live.add(cluster);
  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    await cluster.start('etcd', 'etcd', [
      '--name=test',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
      // A test cluster's data is thrown away: no fsync, far less disk wait on a busy machine.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    const p = (f: string): string => path.join(dir, 'pki', f);
    await cluster.start('kube-apiserver', 'kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${p('apiserver.crt')}`,
      `--tls-private-key-file=${p('apiserver.key')}`,
      `--client-ca-file=${p('ca.crt')}`,
      '--authorization-mode=RBAC',
      // On by default since 1.30; named so that the test does not depend on the default.
      '--enable-admission-plugins=ValidatingAdmissionPolicy',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${p('sa.pub')}`,
      `--service-account-signing-key-file=${p('sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    await waitUntil(
      'kube-apiserver',
      async () => (await cluster.kubectl(['get', '--raw=/readyz'])).status === 0,
      START_TIMEOUT_MS,
      () => `${cluster.log('etcd', 10)}\n${cluster.log('kube-apiserver')}`,
    );
    return cluster;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

export { waitUntil };
