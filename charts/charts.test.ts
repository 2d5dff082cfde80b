import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { validateObject } from '../testing/schemas';
import { buildPlatformCharts } from './platform';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist', 'platform');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function files(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}

/** Every file under `dir` (recursively) with its content. */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}

describe('platform charts', () => {
  it('synthesizes byte-identical files in-process and in a fresh process, equal to dist/', () => {
    const inProcess = path.join(work, 'in-process');
    const app = new App({ outdir: inProcess });
    buildPlatformCharts(app);
    app.synth();

    // The charts to a folder of their own, the generators' files to another; a folder beside
    // the charts' that is named like a generator's must survive.
    const subprocess = path.join(work, 'out', 'platform');
    const generated = path.join(work, 'generated');
    const beside = path.join(work, 'out', 'claims-repository', 'keep.txt');
    fs.mkdirSync(path.dirname(beside), { recursive: true });
    fs.writeFileSync(beside, 'not ours');
    execFileSync('node', ['--require', 'tsx/cjs', 'charts/main.ts'], {
      cwd: root,
      env: { ...process.env, CDK8S_OUTDIR: subprocess, PLATFORM_DIST: generated },
      // Half a second alone; a loaded two-core machine can make it many times that.
      timeout: 60_000,
    });

    expect(files(subprocess)).toEqual(files(inProcess));
    expect(files(dist), 'dist/platform is stale: run `npm run synth`').toEqual(files(inProcess));
    expect(fs.readFileSync(beside, 'utf8')).toBe('not ours');
    for (const dir of ['claims-repository', 'templates', 'catalog']) {
      expect(tree(path.join(generated, dir)), dir).toEqual(tree(path.join(root, 'dist', dir)));
    }
    expect(Object.keys(tree(path.join(generated, 'claims-repository')))).toContain(
      '.gitlab-ci.yml',
    );
  }, 90_000);

  it('writes one file per chart, in apply order', () => {
    expect(Object.keys(files(dist))).toEqual([
      '0000-crossplane-functions.k8s.yaml',
      '0001-team-namespace.k8s.yaml',
      '0002-database.k8s.yaml',
    ]);
  });

  it('holds only objects that are valid against their upstream schema', () => {
    const kinds: string[] = [];
    for (const [file, text] of Object.entries(files(dist))) {
      for (const doc of parseAllDocuments(text)) {
        const o = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
        kinds.push(`${o.apiVersion}/${o.kind}`);
        expect(validateObject(o), `${file}: ${o.kind} ${o.metadata.name}`).toEqual([]);
      }
    }
    expect([...new Set(kinds)].sort()).toEqual([
      'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding',
      'apiextensions.crossplane.io/v1/Composition',
      'apiextensions.crossplane.io/v2/CompositeResourceDefinition',
      'kro.run/v1alpha1/ResourceGraphDefinition',
      'pkg.crossplane.io/v1/Function',
      'pkg.crossplane.io/v1beta1/DeploymentRuntimeConfig',
      'rbac.authorization.k8s.io/v1/ClusterRole',
    ]);
  });

  it('contains no secret material', () => {
    const found: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => visit(n, `${at}[${i}]`));
      } else if (node !== null && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          // A credential may only be computed in the cluster (a Kro expression), never be a value.
          if (/password|token|secret/i.test(k) && typeof v === 'string' && !v.startsWith('${')) {
            found.push(`${at}.${k}`);
          }
          visit(v, `${at}.${k}`);
        }
      }
    };
    for (const [file, text] of Object.entries(files(dist))) {
      for (const doc of parseAllDocuments(text)) {
        const o = doc.toJS() as { kind: string; metadata: { name: string } };
        expect(['Secret', 'ConfigMap']).not.toContain(o.kind);
        visit(o, `${file}:${o.kind}/${o.metadata.name}`);
      }
    }
    expect(found).toEqual([]);
  });
});
