/**
 * The processes behind testing/cluster.ts: loopback ports, kubeconfigs for the run's
 * certificates, waiting for a program to be ready, and stopping the programs of a run whose test
 * process died (each run's folder records its owner and the pids it started).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Identity } from './cluster';

/** The prefix of every run's folder in the temporary directory. */
export const RUN_PREFIX = 'platform-cluster-';

export function kubeconfigYaml(
  dir: string,
  server: string,
  identity?: Identity,
  context = 'test',
): string {
  const pki = path.join(dir, 'pki');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'test', cluster: { server, 'certificate-authority': path.join(pki, 'ca.crt') } },
    ],
    users: [
      {
        name: 'admin',
        user: {
          'client-certificate': path.join(pki, 'admin.crt'),
          'client-key': path.join(pki, 'admin.key'),
          ...(identity === undefined
            ? {}
            : { as: identity.user, 'as-groups': [...(identity.groups ?? [])] }),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: 'test', user: 'admin' } }],
    'current-context': context,
  });
}

export function readServer(kubeconfig: string): string {
  const m = /server: (\S+)/.exec(fs.readFileSync(kubeconfig, 'utf8'));
  if (m === null) throw new Error(`${kubeconfig}: no server`);
  return m[1];
}

/** A free loopback port (the kernel's choice; taken again by the program a moment later). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the processes of runs whose test process died without stopping them. */
export function reapOrphans(): void {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (!entry.startsWith(RUN_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    const owner = Number(
      fs.readFileSync(path.join(dir, 'owner'), { encoding: 'utf8', flag: 'a+' }),
    );
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) continue;
    const pids = fs.existsSync(path.join(dir, 'pids'))
      ? fs.readFileSync(path.join(dir, 'pids'), 'utf8').split('\n').map(Number)
      : [];
    for (const pid of pids.filter((p) => p > 0)) {
      // Only a process of this run: its working directory is the run's folder.
      let cwd: string;
      try {
        cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        continue;
      }
      if (cwd === dir) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  diagnose: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} not ready after ${timeoutMs} ms\n${diagnose()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
