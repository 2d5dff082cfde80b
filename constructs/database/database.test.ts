/**
 * The database API's output, rendered for sample instances. Kro's own graph builder judges the
 * RGD itself (types of every expression, references, the generated CRD: kro-build.test.ts). The
 * rendering here is emulated (testing/kro.ts, testing/cel.ts: synchronous and fast enough for
 * hundreds of renders); the last test holds the emulation against Kro's own runtime (kro-render)
 * on a set of instances, so that the emulated results are Kro's.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { Chart, Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versions } from '../../versions';
import {
  BUILD_TIMEOUT_MS,
  controlPlaneCommand,
  kroRender,
  RUN_TIMEOUT_MS,
} from '../../testing/control-plane';
import { expressionsIn, renderTemplate } from '../../testing/kro';
import { objectSchema, validateAgainstSchema, validateObject } from '../../testing/schemas';
import { isDns1035Label, isDnsLabel } from '../names';
import { PropsError } from '../validation';
import { DatabaseApi, type DatabaseApiProps } from './database';
import { testApp } from '../../testing/cdk8s-app';

function synth(props: DatabaseApiProps = {}): { api: DatabaseApi; objects: Record<string, any>[] } {
  const chart = new Chart(testApp(), 'test');
  const api = new DatabaseApi(chart, 'Database', props);
  return { api, objects: Testing.synth(chart) as Record<string, any>[] };
}

const { api, objects } = synth();
const rgd = objects.find((o) => o.kind === 'ResourceGraphDefinition')!;
const byId = Object.fromEntries(rgd.spec.resources.map((r: any) => [r.id, r]));
const instanceSchema = objectSchema({
  type: 'object',
  properties: {
    spec: api.specSchema as any,
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
});

/** The instance schema with its defaults, compiled once (the file makes dozens of instances). */
const withDefaults = new Ajv({ useDefaults: true, strict: false }).compile(instanceSchema);

/** An instance as the API server stores it: defaults applied, then validated. */
function instance(
  spec: Record<string, unknown>,
  name = 'orders',
  namespace = 'team-a',
): Record<string, any> {
  const obj = {
    apiVersion: api.apiVersion,
    kind: api.kind,
    metadata: { name, namespace },
    spec: structuredClone(spec),
  };
  if (!withDefaults(obj)) {
    throw new Error(JSON.stringify(withDefaults.errors));
  }
  return obj;
}

const SEED = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'postgres-password-seed', namespace: 'kro-system' },
  data: { seed: Buffer.from('0123456789abcdef0123456789abcdef') },
};

/** Renders the whole graph in Kro's order for an instance, with the observed state Kro would see. */
function renderGraph(
  schema: Record<string, any>,
  seed: unknown = SEED,
): Record<string, Record<string, any>> {
  const vars: Record<string, unknown> = { schema, seed };
  const out: Record<string, Record<string, any>> = {};
  for (const id of ['credentials', 'data', 'database', 'service']) {
    out[id] = renderTemplate(byId[id].template, vars) as Record<string, any>;
    out[id].metadata.namespace = schema.metadata.namespace;
    vars[id] = out[id];
  }
  return out;
}

describe('DatabaseApi', () => {
  it('is a namespaced kro.run/v1alpha1 graph in our group, valid against the Kro CRD', () => {
    expect(rgd.apiVersion).toBe('kro.run/v1alpha1');
    expect(rgd.spec.schema).toMatchObject({
      group: 'platform.example.org',
      kind: 'PostgresDatabase',
      scope: 'Namespaced',
    });
    for (const o of objects) {
      expect(validateObject(o), o.kind).toEqual([]);
    }
    expect(Object.keys(byId)).toEqual(['seed', 'credentials', 'data', 'database', 'service']);
  });

  it('applies defaults and constraints to instances', () => {
    const i = instance({});
    expect(i.spec).toEqual({
      version: '17',
      storage: '5Gi',
      database: 'app',
      username: 'app',
      deletionProtection: true,
      resources: {
        requests: { cpu: '250m', memory: '512Mi' },
        limits: { cpu: '1', memory: '1Gi' },
      },
    });
    const errors = (spec: Record<string, unknown>): string =>
      validateAgainstSchema(instanceSchema, {
        apiVersion: api.apiVersion,
        kind: api.kind,
        metadata: {},
        spec,
      }).join();
    expect(errors({ version: '14' })).toMatch(/allowed values/);
    expect(errors({ storage: '5GB' })).toMatch(/pattern/);
    expect(errors({ storage: '0Gi' })).toMatch(/pattern/);
    expect(errors({ database: 'App-DB' })).toMatch(/pattern/);
    expect(errors({ resources: { requests: { cpu: '-1' } } })).toMatch(/pattern/);
    expect(errors({ size: 'big' })).toMatch(/additional properties/);
    expect(errors({ deletionProtection: 'no' })).toMatch(/boolean/);
    expect(
      errors({
        version: '16',
        storage: '20Gi',
        resources: { limits: { cpu: '2', memory: '4Gi' } },
      }),
    ).toBe('');
  });

  it('renders schema-valid Kubernetes objects for every supported version', () => {
    for (const version of Object.keys(versions.postgresImages)) {
      const graph = renderGraph(instance({ version }));
      for (const [id, o] of Object.entries(graph)) {
        expect(validateObject(o), `${id} (${version})`).toEqual([]);
      }
      expect(graph.database.spec.template.spec.containers[0].image).toBe(
        versions.postgresImages[version as keyof typeof versions.postgresImages],
      );
    }
  });

  it('runs PostgreSQL under the restricted profile with requests, limits and probes', () => {
    const pod = renderGraph(instance({})).database.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.resources).toEqual({
        requests: { cpu: '250m', memory: '512Mi' },
        limits: { cpu: '1', memory: '1Gi' },
      });
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.startupProbe).toBeDefined();
      expect(c.image).toMatch(/:[0-9]+\.[0-9]+$/);
    }
    expect(pod.volumes.filter((v: any) => v.hostPath !== undefined)).toEqual([]);
  });

  it('derives the password in the cluster from the platform seed, never from the claim', () => {
    const password = (i: Record<string, any>, seed: typeof SEED = SEED): string =>
      renderGraph(i, seed).credentials.stringData.password;
    // What Kro computes: base64 of the SHA-256 of seed (base64) + ":" + namespace/name, made
    // alphanumeric; worked out here with node:crypto, independently of the CEL expression.
    const expected = (seed: Buffer, namespace: string, name: string): string =>
      createHash('sha256')
        .update(`${seed.toString('base64')}:${namespace}/${name}`)
        .digest('base64')
        .replace(/\+/g, 'A')
        .replace(/\//g, 'B')
        .replace(/=/g, '');
    const a = password(instance({}));
    expect(a).toBe(expected(SEED.data.seed, 'team-a', 'orders'));
    expect(a).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(password(instance({}, 'orders', 'team-b'))).not.toBe(a);
    expect(password(instance({}, 'invoices'))).not.toBe(a);
    const otherSeed = { ...SEED, data: { seed: Buffer.from('another-platform-seed-value-0000') } };
    expect(password(instance({}), otherSeed)).toBe(
      expected(otherSeed.data.seed, 'team-a', 'orders'),
    );
    expect(password(instance({}), otherSeed)).not.toBe(a);
    // Same name and namespace, different uid: a recreated instance keeps its volume's password.
    const recreated = instance({});
    recreated.metadata.uid = 'another-uid';
    expect(password(recreated)).toBe(a);
    const expression = JSON.stringify(byId.credentials.template.stringData.password);
    expect(expression).toContain('seed.data');
    expect(expression).not.toContain('uid');
    expect(byId.seed.externalRef).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'postgres-password-seed', namespace: 'kro-system' },
    });
    expect(JSON.stringify(objects)).not.toMatch(/password:\s*[^$]/);
  });

  it('publishes connection details for workloads and in the instance status', () => {
    const i = instance({ database: 'orders', username: 'orders_app' });
    const graph = renderGraph(i);
    expect(graph.credentials.data).toBeUndefined();
    expect(graph.credentials.stringData).toMatchObject({
      type: 'postgresql',
      host: 'orders.team-a.svc',
      port: '5432',
      database: 'orders',
      username: 'orders_app',
    });
    expect(graph.credentials.type).toBe('servicebinding.io/postgresql');
    const env = graph.database.spec.template.spec.containers[0].env;
    expect(
      env.filter((e: any) => e.valueFrom).map((e: any) => e.valueFrom.secretKeyRef.name),
    ).toEqual(Array(3).fill('orders-credentials'));
    expect(env.some((e: any) => /PASSWORD/.test(e.name) && e.value !== undefined)).toBe(false);
    const vars = {
      schema: i,
      ...graph,
      database: { ...graph.database, status: { readyReplicas: 1 } },
    };
    const status = Object.fromEntries(
      Object.entries(rgd.spec.schema.status).map(([k, v]) => [k, renderTemplate(v, vars)]),
    );
    expect(status).toEqual({
      host: 'orders.team-a.svc',
      port: 5432,
      secretName: 'orders-credentials',
      ready: true,
    });
    expect(
      renderTemplate(rgd.spec.schema.status.ready, {
        ...vars,
        database: { ...graph.database, status: {} },
      }),
    ).toBe(false);
    expect(
      renderTemplate(byId.database.readyWhen[0], { database: { status: { readyReplicas: 1 } } }),
    ).toBe(true);
  });

  it('keeps the volume when the instance is deleted, and the volume name never changes', () => {
    const [include] = byId.data.includeWhen;
    const live = instance({});
    expect(renderTemplate(include, { schema: live })).toBe(true);
    expect(
      renderTemplate(include, {
        schema: {
          ...live,
          metadata: { ...live.metadata, deletionTimestamp: '2026-11-23T00:00:00Z' },
        },
      }),
    ).toBe(false);
    expect(expressionsIn(byId.data.template.metadata.name)).toEqual([
      'schema.metadata.name + "-data"',
    ]);
    const pvc = renderGraph(instance({ storage: '20Gi' })).data;
    expect(pvc.metadata.name).toBe('orders-data');
    expect(pvc.spec.resources.requests.storage).toBe('20Gi');
  });

  it("labels the volume with the instance's deletion protection, for the volume policy", () => {
    const label = (spec: Record<string, unknown>): unknown =>
      renderGraph(instance(spec)).data.metadata.labels['platform.example.org/deletion-protection'];
    expect(label({})).toBe('true');
    expect(label({ deletionProtection: true })).toBe('true');
    expect(label({ deletionProtection: false })).toBe('false');
  });

  it('keeps every derived name valid up to its name budget', () => {
    expect(api.maxNameLength).toBe(63 - '-credentials'.length);
    for (const name of ['a', 'db1', 'orders-eu', `a${'b'.repeat(api.maxNameLength - 1)}`]) {
      const graph = renderGraph(instance({}, name));
      for (const o of Object.values(graph)) {
        expect(isDnsLabel(o.metadata.name), o.metadata.name).toBe(true);
      }
      expect(isDns1035Label(graph.service.metadata.name)).toBe(true);
    }
  });

  it('grants Kro exactly its instances and the kinds the graph manages', () => {
    const role = objects.find((o) => o.kind === 'ClusterRole')!;
    expect(role.metadata.labels).toEqual({ 'rbac.kro.run/aggregate-to-controller': 'true' });
    const manage = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    expect(role.rules).toEqual([
      {
        apiGroups: ['platform.example.org'],
        resources: ['postgresdatabases'],
        verbs: ['get', 'list', 'watch', 'update', 'patch'],
      },
      {
        apiGroups: ['platform.example.org'],
        resources: ['postgresdatabases/status'],
        verbs: ['get', 'update', 'patch'],
      },
      {
        apiGroups: ['platform.example.org'],
        resources: ['postgresdatabases/finalizers'],
        verbs: ['update'],
      },
      {
        apiGroups: [''],
        resources: ['persistentvolumeclaims', 'secrets', 'services'],
        verbs: manage,
      },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: manage },
    ]);
    expect(JSON.stringify(role.rules)).not.toContain('"*"');
  });

  it('uses a configured storage class and seed Secret', () => {
    const custom = synth({
      storageClassName: 'fast-ssd',
      seedSecretNamespace: 'platform',
      seedSecretName: 'db-seed',
      seedSecretKey: 'value',
    });
    const r = custom.objects.find((o) => o.kind === 'ResourceGraphDefinition')!.spec.resources;
    expect(r[2].template.spec.storageClassName).toBe('fast-ssd');
    expect(r[0].externalRef.metadata).toEqual({ name: 'db-seed', namespace: 'platform' });
    expect(r[1].template.stringData.password).toContain('seed.data["value"]');
  });

  it('rejects invalid props with every problem named at once', () => {
    let error: unknown;
    try {
      synth({
        kind: 'Policy',
        images: { '17': 'postgres:latest', x: 'docker.io/library/postgres:17.7' },
        defaultVersion: '16',
        defaultStorage: '5GB',
        seedSecretKey: 'a b',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).problems).toEqual([
      'kind: "Policy" is not allowed; expected an UpperCamelCase kind whose plural is its lowercase form plus "s", such as "PostgresDatabase"',
      'images.17: "postgres:latest" is not allowed; expected an image pinned to an exact tag or digest, such as "docker.io/library/postgres:17.7"',
      'images key: "x" is not allowed; expected a PostgreSQL major version such as "17"',
      'defaultVersion: "16" is not allowed; expected one of ["17","x"]',
      'defaultStorage: "5GB" is not allowed; expected a size such as "5Gi" or "1Ti"',
      `seedSecretKey: "a b" is not allowed; expected a Secret key (alphanumerics, '-', '_', '.')`,
    ]);
  });

  it('rejects a bad group, version, storage class and seed Secret location', () => {
    let error: unknown;
    try {
      synth({
        group: 'nodot',
        version: 'v1.2',
        storageClassName: 'Fast SSD',
        seedSecretNamespace: 'Kro_System',
        seedSecretName: 'Seed!',
      });
    } catch (e) {
      error = e;
    }
    expect((error as PropsError).problems).toEqual([
      'group: "nodot" is not allowed; expected a DNS subdomain with at least one dot, such as "platform.example.org"',
      'version: "v1.2" is not allowed; expected a Kubernetes API version such as "v1alpha1"',
      'storageClassName: "Fast SSD" is not allowed; expected a storage class name (a DNS subdomain)',
      'seedSecretNamespace: "Kro_System" is not allowed; expected a namespace name (a DNS-1123 label)',
      'seedSecretName: "Seed!" is not allowed; expected a Secret name (a DNS subdomain)',
    ]);
  });

  it('chooses the pinned image of every supported version', () => {
    const image = byId.database.template.spec.template.spec.containers[0].image;
    for (const [v, img] of Object.entries(versions.postgresImages)) {
      expect(renderTemplate(image, { schema: { spec: { version: v } } })).toBe(img);
    }
  });
});

describe('the emulated rendering', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'database-render-'));
  const file = path.join(work, 'database.yaml');
  fs.writeFileSync(file, objects.map((o) => `---\n${stringify(o)}`).join(''));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  beforeAll(async () => {
    await controlPlaneCommand('kro-render');
  }, BUILD_TIMEOUT_MS);

  it(
    "is what Kro's runtime renders, resource by resource, with readiness and status",
    async () => {
      const samples: [Record<string, unknown>, string][] = [
        [{}, 'orders'],
        ...Object.keys(versions.postgresImages).map(
          (version): [Record<string, unknown>, string] => [{ version }, 'orders'],
        ),
        [{ deletionProtection: false, storage: '20Gi' }, 'orders'],
        [{ database: 'orders', username: 'orders_app' }, `a${'b'.repeat(api.maxNameLength - 1)}`],
        [{ resources: { requests: { cpu: '1', memory: '2Gi' } } }, 'db1'],
      ];
      const readyReplicas = (i: number): number => i % 2;
      const seed = { ...SEED, data: { seed: SEED.data.seed.toString('base64') } };
      const { status, renders } = await kroRender(
        [file],
        samples.map(([spec, name], i) => ({
          instance: {
            apiVersion: api.apiVersion,
            kind: api.kind,
            metadata: { name, namespace: 'team-a' },
            spec,
          },
          observed: {
            seed,
            database: {
              ...renderGraph(instance(spec, name)).database,
              status: { readyReplicas: readyReplicas(i) },
            },
          },
        })),
      );
      expect(renders.map((r) => r.error)).toEqual(samples.map(() => undefined));
      expect(status).toBe(0);
      samples.forEach(([spec, name], i) => {
        const emulated = renderGraph(instance(spec, name));
        const real = renders[i];
        expect(real.ignored ?? [], name).toEqual([]);
        for (const id of ['credentials', 'data', 'database', 'service']) {
          expect(real.resources![id], `${id} of sample ${i}`).toEqual(emulated[id]);
        }
        const database = { ...emulated.database, status: { readyReplicas: readyReplicas(i) } };
        const vars = { schema: instance(spec, name), ...emulated, database };
        expect(real.ready!.database).toBe(renderTemplate(byId.database.readyWhen[0], vars));
        expect(real.instance!.status).toEqual(
          Object.fromEntries(
            Object.entries(rgd.spec.schema.status).map(([k, v]) => [k, renderTemplate(v, vars)]),
          ),
        );
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'leaves the volume out, as Kro does, once the instance is being deleted',
    async () => {
      const { renders } = await kroRender(
        [file],
        [
          {
            instance: {
              apiVersion: api.apiVersion,
              kind: api.kind,
              metadata: {
                name: 'orders',
                namespace: 'team-a',
                deletionTimestamp: '2026-11-23T00:00:00Z',
              },
              spec: { deletionProtection: false },
            },
            observed: { seed: { ...SEED, data: { seed: SEED.data.seed.toString('base64') } } },
          },
        ],
      );
      expect(renders[0].error).toBeUndefined();
      expect(renders[0].ignored).toEqual(['data']);
      expect(Object.keys(renders[0].resources!).sort()).toEqual([
        'credentials',
        'database',
        'seed',
        'service',
      ]);
    },
    RUN_TIMEOUT_MS,
  );
});
