/**
 * testing/control-plane/go.mod pins every program the tests build at the version
 * versions.ts names (the one place for versions), and lists each as a tool.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { versions } from '../versions';
import { CONTROL_PLANE_DIR } from './control-plane-build';

const goMod = fs.readFileSync(path.join(CONTROL_PLANE_DIR, 'go.mod'), 'utf8');
const required = (module: string): string | undefined =>
  new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm').exec(goMod)?.[1];
const tools = [...(/^tool \(\n([^)]*)\)/m.exec(goMod)?.[1] ?? '').matchAll(/^\s*(\S+)$/gm)].map(
  (m) => m[1],
);

describe('the control plane module', () => {
  it('requires each program at the version versions.ts names', () => {
    const cp = versions.controlPlane;
    expect(required('k8s.io/kubernetes')).toBe(`v${cp.kubernetes}`);
    expect(required('go.etcd.io/etcd/server/v3')).toBe(`v${cp.etcd}`);
    expect(required('github.com/kubernetes-sigs/kro')).toBe(`v${versions.kro.chart}`);
    expect(required('github.com/crossplane/crossplane/v2')).toBe(`v${versions.crossplane.chart}`);
    expect(required('github.com/crossplane/cli/v2')).toBe(`v${cp.crossplaneCli}`);
    const autoReady = versions.crossplaneFunctions.autoReady.version;
    expect(required('github.com/crossplane/function-auto-ready')).toBe(autoReady);
    // The module names itself github.com/crossplane/function-auto-ready; the proxy serves its
    // releases under the repository's path only.
    expect(goMod).toContain(
      `github.com/crossplane/function-auto-ready ${autoReady} => github.com/crossplane-contrib/function-auto-ready ${autoReady}`,
    );
    // function-patch-and-transform is built in its own module (testing/control-plane-build.ts).
    expect(cp.patchAndTransformModule).toMatch(/^v0\.10\.\d+$/);
    expect(versions.crossplaneFunctions.patchAndTransform.version).toMatch(/^v0\.10\.\d+$/);
  });

  it('lists every program built from it as a tool', () => {
    expect(tools.sort()).toEqual([
      'github.com/crossplane/cli/v2/cmd/crossplane',
      'github.com/crossplane/crossplane/v2/cmd/crossplane',
      'github.com/crossplane/function-auto-ready',
      'github.com/kubernetes-sigs/kro/cmd/controller',
      'go.etcd.io/etcd/server/v3',
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kubectl',
    ]);
  });
});
