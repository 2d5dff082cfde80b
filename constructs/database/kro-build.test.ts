/**
 * The database RGD as Kro's own graph builder sees it (kro-build in testing/control-plane): the
 * CRD it generates for instances, which the portal's form must match, and the dependency graph
 * the volume's retention relies on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_TIMEOUT_MS,
  controlPlaneCommand,
  kroBuild,
  type KroBuildResult,
  RUN_TIMEOUT_MS,
} from '../../testing/control-plane';
import { DatabaseApi, type DatabaseApiProps } from './database';
import { testApp } from '../../testing/cdk8s-app';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'database-kro-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Synthesizes the API with `props` and builds its RGD. */
async function build(
  name: string,
  props: DatabaseApiProps = {},
): Promise<{ api: DatabaseApi; result: KroBuildResult }> {
  const chart = new Chart(testApp(), 'test');
  const api = new DatabaseApi(chart, 'Database', props);
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(
    file,
    Testing.synth(chart)
      .map((o) => `---\n${stringify(o)}`)
      .join(''),
  );
  const { results } = await kroBuild([file]);
  expect(results).toHaveLength(1);
  return { api, result: results[0] };
}

describe('DatabaseApi built by Kro', () => {
  beforeAll(async () => {
    await controlPlaneCommand('kro-build');
  }, BUILD_TIMEOUT_MS);

  it(
    'generates the instance CRD whose spec schema the portal form is derived from',
    async () => {
      const { api, result } = await build('default');
      expect(result.error).toBeUndefined();
      const crd = result.crd as Record<string, any>;
      expect(crd.metadata.name).toBe(`${api.plural}.${api.group}`);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names).toMatchObject({ kind: api.kind, plural: api.plural });
      const [version] = crd.spec.versions;
      expect(version.name).toBe(api.version);
      const schema = version.schema.openAPIV3Schema;
      expect(schema.properties.spec).toEqual(JSON.parse(JSON.stringify(api.specSchema)));
      expect(schema.properties.spec.properties.deletionProtection).toEqual({
        type: 'boolean',
        default: true,
        description: expect.stringContaining('neither this database nor its data volume'),
      });
      expect(
        Object.fromEntries(
          Object.entries(schema.properties.status.properties as Record<string, any>).map(
            ([k, v]) => [k, v.type],
          ),
        ),
      ).toMatchObject({ host: 'string', port: 'integer', secretName: 'string', ready: 'boolean' });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'lets nothing depend on the volume, so that skipping it on deletion skips nothing else',
    async () => {
      const { result } = await build('default');
      const deps = result.dependencies!;
      expect(Object.keys(deps).sort()).toEqual([
        'credentials',
        'data',
        'database',
        'seed',
        'service',
      ]);
      expect(Object.entries(deps).filter(([, d]) => d.includes('data'))).toEqual([]);
      expect(deps.credentials).toEqual(['seed']);
      // The Deployment reads the Secret's name, so Kro creates the Secret first.
      expect(deps.database).toEqual(['credentials']);
      expect(result.order!.indexOf('credentials')).toBeLessThan(result.order!.indexOf('database'));
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'builds with every prop it accepts set',
    async () => {
      const { result } = await build('custom', {
        group: 'data.acme.io',
        version: 'v1beta1',
        kind: 'PgCluster',
        images: { '16': 'docker.io/library/postgres:16.11' },
        defaultVersion: '16',
        defaultStorage: '1Ti',
        storageClassName: 'fast-ssd',
        seedSecretNamespace: 'platform',
        seedSecretName: 'db-seed',
        seedSecretKey: 'value.v1',
      });
      expect(result.error).toBeUndefined();
      expect((result.crd as Record<string, any>).metadata.name).toBe('pgclusters.data.acme.io');
    },
    RUN_TIMEOUT_MS,
  );
});
