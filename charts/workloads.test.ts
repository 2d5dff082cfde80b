import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  BUILD_TIMEOUT_MS,
  controlPlaneCommand,
  kroRender,
  podSecurity,
  RUN_TIMEOUT_MS,
} from '../testing/control-plane';
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

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'workloads-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const writeYaml = (name: string, docs: unknown[]): string => {
  const file = path.join(work, name);
  fs.writeFileSync(file, docs.map((d) => `---\n${stringify(d)}`).join(''));
  return file;
};

/**
 * The real judges: Pod Security admission's evaluator at "restricted" and the kubelet's non-root
 * verification (pod-security in testing/control-plane), over the function runtime as dist/ has it
 * and the database's Deployment as Kro's runtime renders it for an instance.
 */
describe('the workloads, judged by Pod Security admission and the kubelet', () => {
  beforeAll(async () => {
    await controlPlaneCommand('pod-security');
  }, BUILD_TIMEOUT_MS);

  it(
    'admits the function runtime and the rendered database at restricted, verifiably non-root',
    async () => {
      const platform = path.join(platformDir, '0002-database.k8s.yaml');
      const { renders } = await kroRender(
        [platform],
        [
          {
            instance: {
              apiVersion: 'platform.example.org/v1alpha1',
              kind: 'PostgresDatabase',
              metadata: { name: 'orders', namespace: 'team-a' },
              spec: {},
            },
            observed: {
              seed: {
                apiVersion: 'v1',
                kind: 'Secret',
                metadata: { name: 'postgres-password-seed', namespace: 'kro-system' },
                data: { seed: Buffer.from('0123456789abcdef').toString('base64') },
              },
            },
          },
        ],
      );
      expect(renders[0].error).toBeUndefined();
      const deployment = renders[0].resources!.database;
      expect(deployment.kind).toBe('Deployment');
      const rendered = writeYaml('database.yaml', [deployment]);
      const { status, results } = await podSecurity([
        path.join(platformDir, '0000-crossplane-functions.k8s.yaml'),
        rendered,
      ]);
      expect(results.map((r) => [r.forbidden, r.unverifiableNonRoot])).toEqual([
        [[], []],
        [[], []],
      ]);
      expect(status).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses what the old function runtime config did, and a pod outside the profile',
    async () => {
      const old = writeYaml('old.yaml', [
        {
          apiVersion: 'pkg.crossplane.io/v1beta1',
          kind: 'DeploymentRuntimeConfig',
          metadata: { name: 'old' },
          spec: {
            deploymentTemplate: {
              spec: {
                selector: {},
                template: {
                  spec: {
                    securityContext: {
                      runAsNonRoot: true,
                      seccompProfile: { type: 'RuntimeDefault' },
                    },
                    containers: [
                      {
                        name: 'package-runtime',
                        securityContext: {
                          allowPrivilegeEscalation: false,
                          capabilities: { drop: ['ALL'] },
                          runAsNonRoot: true,
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'loose' },
          spec: {
            containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }],
          },
        },
      ]);
      const { status, results } = await podSecurity([old]);
      expect(status).toBe(1);
      // Pod Security admits the old config (runAsNonRoot is set): only the kubelet refuses it.
      expect(results[0].forbidden).toEqual([]);
      expect(results[0].unverifiableNonRoot).toEqual([
        'container "package-runtime": runAsNonRoot without a numeric runAsUser: refused for an image whose user is a name',
      ]);
      expect(results[1].forbidden).toEqual(
        expect.arrayContaining([expect.stringMatching(/^privileged /)]),
      );
    },
    RUN_TIMEOUT_MS,
  );
});

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
