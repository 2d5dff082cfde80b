import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { nonRootWithoutUser, podSpecProblems, podSpecs } from '../testing/pod-security';

const root = path.resolve(__dirname, '..');
const platformDir = path.join(root, 'dist', 'platform');

/** Every object of dist/platform, by `<file>:<kind>/<name>`. */
const platformObjects: Record<string, unknown> = Object.fromEntries(
  fs
    .readdirSync(platformDir)
    .sort()
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(platformDir, file), 'utf8')).map((doc) => {
        const o = doc.toJS() as { kind: string; metadata: { name: string } };
        return [`${file}:${o.kind}/${o.metadata.name}`, o];
      }),
    ),
);

/** Every resource's inputs in the offline plan (Helm values included), by `<type>::<name>`. */
const planInputs: Record<string, unknown> = Object.fromEntries(
  (
    parse(fs.readFileSync(path.join(root, 'dist', 'plan', 'dev.yaml'), 'utf8')) as {
      resources: { type: string; name: string; inputs: unknown }[];
    }
  ).resources.map((r) => [`${r.type}::${r.name}`, r.inputs]),
);

describe('every workload we author or template', () => {
  it('finds the pod specs of dist/platform: the function runtime and the database graph', () => {
    const found = Object.entries(platformObjects).flatMap(([id, o]) =>
      podSpecs(o).map((p) => `${id} ${p.path}`),
    );
    expect(found).toEqual([
      '0000-crossplane-functions.k8s.yaml:DeploymentRuntimeConfig/platform-functions spec.deploymentTemplate.spec.template.spec',
      '0002-database.k8s.yaml:ResourceGraphDefinition/postgresdatabases.platform.example.org spec.resources[3].template.spec.template.spec',
    ]);
  });

  it('runs non-root as a numeric user, restricted, with requests, limits and probes', () => {
    const problems = Object.entries(platformObjects).flatMap(([id, o]) =>
      podSpecs(o).flatMap((p) => podSpecProblems(p.object, `${id} ${p.path}`)),
    );
    expect(problems).toEqual([]);
  });

  it('names a numeric user wherever it asks for runAsNonRoot: manifests, templates, Helm values', () => {
    const sources = { ...platformObjects, ...planInputs };
    const contexts = Object.values(sources).flatMap(
      (o) => JSON.stringify(o).match(/"runAsNonRoot":true/g) ?? [],
    );
    // The DRC, the database graph and the Helm values of Crossplane, Kro, agentk and the portal.
    expect(contexts.length).toBeGreaterThanOrEqual(12);
    const problems = Object.entries(sources).flatMap(([id, o]) =>
      nonRootWithoutUser(o).map((p) => `${id} ${p}`),
    );
    expect(problems).toEqual([]);
  });
});

describe('the workload rules', () => {
  const pod = (container: Record<string, unknown>, podContext: Record<string, unknown> = {}) => ({
    securityContext: podContext,
    containers: [{ name: 'c', ...container }],
  });
  const restricted = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const complete = {
    securityContext: { ...restricted, runAsUser: 2000 },
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
    readinessProbe: { tcpSocket: { port: 1 } },
    livenessProbe: { tcpSocket: { port: 1 } },
  };

  it('accepts a complete container, and a user named at pod level', () => {
    expect(podSpecProblems(pod(complete), 'p')).toEqual([]);
    expect(
      podSpecProblems(pod({ ...complete, securityContext: restricted }, { runAsUser: 999 }), 'p'),
    ).toEqual([]);
  });

  it('refuses what the old function runtime config did: runAsNonRoot with no user, no probes', () => {
    const old = { ...complete, securityContext: restricted };
    delete (old as Record<string, unknown>).readinessProbe;
    delete (old as Record<string, unknown>).livenessProbe;
    expect(podSpecProblems(pod(old, { runAsNonRoot: true }), 'p')).toEqual([
      'p container c: no numeric non-root runAsUser',
      'p container c: no readinessProbe',
      'p container c: no livenessProbe',
    ]);
    expect(
      nonRootWithoutUser({ a: { runAsNonRoot: true }, b: [{ runAsNonRoot: true, runAsUser: 0 }] }),
    ).toEqual([
      'a: runAsNonRoot without a numeric runAsUser',
      'b[0]: runAsNonRoot without a numeric runAsUser',
    ]);
  });

  it('refuses root, privilege escalation, kept capabilities, no seccomp and missing resources', () => {
    expect(
      podSpecProblems(
        pod({ securityContext: { runAsUser: 0 }, readinessProbe: {}, livenessProbe: {} }),
        'p',
      ),
    ).toEqual([
      'p container c: runAsNonRoot is not true',
      'p container c: no numeric non-root runAsUser',
      'p container c: allowPrivilegeEscalation is not false',
      'p container c: capabilities do not drop ALL',
      'p container c: no RuntimeDefault or Localhost seccomp profile',
      'p container c: no requests.cpu',
      'p container c: no requests.memory',
      'p container c: no limits.cpu',
      'p container c: no limits.memory',
    ]);
  });
});
