/**
 * Every ResourceGraphDefinition we ship, judged by Kro's own graph builder (kro-build in
 * testing/control-plane): what it refuses, the Kro controller would mark Inactive, with no CRD.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versions } from '../versions';
import {
  BUILD_TIMEOUT_MS,
  CONTROL_PLANE_DIR,
  controlPlaneCommand,
  kroBuild,
  RUN_TIMEOUT_MS,
} from './control-plane';

const DIST = path.resolve(__dirname, '..', 'dist', 'platform');
const distFiles = fs
  .readdirSync(DIST)
  .sort()
  .map((f) => path.join(DIST, f));
const rgdsIn = (file: string): Record<string, any>[] =>
  parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Record<string, any>)
    .filter((o) => o?.kind === 'ResourceGraphDefinition');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kro-build-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The database RGD from dist/, changed by `edit`, written where kro-build can read it. */
function variant(name: string, edit: (rgd: Record<string, any>) => void): string {
  const rgd = structuredClone(rgdsIn(path.join(DIST, '0002-database.k8s.yaml'))[0]);
  edit(rgd);
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(file, stringify(rgd));
  return file;
}
const resource = (rgd: Record<string, any>, id: string): Record<string, any> =>
  rgd.spec.resources.find((r: { id: string }) => r.id === id);

describe('Kro graph builder', () => {
  beforeAll(async () => {
    await controlPlaneCommand('kro-build');
  }, BUILD_TIMEOUT_MS);

  it('is the Go module of the Kro and Kubernetes releases pinned in versions.ts', () => {
    const goMod = fs.readFileSync(path.join(CONTROL_PLANE_DIR, 'go.mod'), 'utf8');
    const require = (module: string): string | undefined =>
      new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm').exec(goMod)?.[1];
    expect(require('github.com/kubernetes-sigs/kro')).toBe(`v${versions.kro.chart}`);
    expect(require('k8s.io/kubernetes')).toBe(`v${versions.controlPlane.kubernetes}`);
    // k8s.io/kubernetes replaces its staging modules with local paths: ours name the release.
    const staging = `v0.${versions.controlPlane.kubernetes.split('.').slice(1).join('.')}`;
    const replaced = [...goMod.matchAll(/^\s*(k8s\.io\/\S+) => (\S+) (v\S+)$/gm)];
    expect(replaced.length).toBeGreaterThan(20);
    for (const [, from, to, version] of replaced) {
      expect(`${to} ${version}`, from).toBe(`${from} ${staging}`);
    }
    // ...which is the release Kro itself is built with.
    const graph = execFileSync('go', ['mod', 'graph'], {
      cwd: CONTROL_PLANE_DIR,
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
    });
    const kroDeps = graph
      .split('\n')
      .filter((l) => l.startsWith(`github.com/kubernetes-sigs/kro@v${versions.kro.chart} k8s.io/`))
      .map((l) => l.split(' ')[1]);
    for (const m of ['api', 'apimachinery', 'apiserver', 'client-go']) {
      expect(kroDeps).toContain(`k8s.io/${m}@${staging}`);
    }
  });

  it(
    'builds every ResourceGraphDefinition in dist/platform',
    async () => {
      const expected = distFiles.flatMap((f) => rgdsIn(f).map((o) => o.metadata.name as string));
      expect(expected.length).toBeGreaterThan(0);
      const { status, results, stderr } = await kroBuild(distFiles);
      expect(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`)).toEqual([]);
      expect(status, stderr).toBe(0);
      expect(results.map((r) => r.name)).toEqual(expected);
    },
    RUN_TIMEOUT_MS,
  );

  const refused = async (file: string): Promise<string> => {
    const { status, results } = await kroBuild([file]);
    expect(status).toBe(1);
    expect(results).toHaveLength(1);
    expect(results[0].ok).toBe(false);
    return results[0].error!;
  };

  it(
    'refuses string expressions in Secret data (format: byte), the RGD this repository shipped',
    async () => {
      const file = variant('secret-data-base64', (rgd) => {
        const secret = resource(rgd, 'credentials').template;
        secret.data = {
          username: '${base64.encode(bytes(schema.spec.username))}',
        };
        delete secret.stringData;
      });
      expect(await refused(file)).toMatch(
        /type mismatch in resource "credentials" at path "data\.username": expression "base64\.encode\(bytes\(schema\.spec\.username\)\)" returns type "string" but expected "bytes"/,
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses an integer expression in a string field',
    async () => {
      const file = variant('int-into-string', (rgd) => {
        resource(rgd, 'service').template.metadata.labels['app.kubernetes.io/instance'] =
          '${size(schema.metadata.name)}';
      });
      expect(await refused(file)).toMatch(
        /type mismatch in resource "service" at path "metadata\.labels\[\\"app\.kubernetes\.io\/instance\\"\]": expression "size\(schema\.metadata\.name\)" returns type "int" but expected "string"/,
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses a string expression in an integer field',
    async () => {
      const file = variant('string-into-int', (rgd) => {
        resource(rgd, 'database').template.spec.replicas = '${schema.spec.storage}';
      });
      expect(await refused(file)).toMatch(
        /type mismatch in resource "database" at path "spec\.replicas": expression "schema\.spec\.storage" returns type "string" but expected "int"/,
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses a reference to a resource the graph does not have',
    async () => {
      const file = variant('unknown-resource', (rgd) => {
        resource(rgd, 'service').template.metadata.labels.extra = '${cache.metadata.name}';
      });
      expect(await refused(file)).toMatch(/references unknown identifiers: \[cache\]/);
    },
    RUN_TIMEOUT_MS,
  );
});
