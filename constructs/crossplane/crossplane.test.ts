import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { validateObject } from '../../testing/schemas';
import { PropsError } from '../validation';
import { CrossplaneFunction, type CrossplaneFunctionProps } from './function';
import {
  PACKAGE_RUNTIME_CONTAINER,
  FunctionRuntimeConfig,
  type FunctionRuntimeConfigProps,
} from './runtime-config';
import { testApp } from '../../testing/cdk8s-app';

const chart = (): Chart => new Chart(testApp(), 'test');

function problems(make: () => void): readonly string[] {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(PropsError);
    return (e as PropsError).problems;
  }
  throw new Error('expected a PropsError');
}

describe('CrossplaneFunction', () => {
  const pkg = 'xpkg.crossplane.io/crossplane-contrib/function-auto-ready';

  it('pins the package and names the Function after it', () => {
    const c = chart();
    const fn = new CrossplaneFunction(c, 'Fn', {
      package: pkg,
      version: 'v0.7.0',
      runtimeConfigName: 'rt',
    });
    const [obj] = Testing.synth(c);
    expect(fn.functionName).toBe('function-auto-ready');
    expect(obj).toEqual({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Function',
      metadata: { name: 'function-auto-ready' },
      spec: { package: `${pkg}:v0.7.0`, runtimeConfigRef: { name: 'rt' } },
    });
    expect(validateObject(obj)).toEqual([]);
  });

  it('rejects floating versions, tagged packages and bad names', () => {
    const attempt = (props: CrossplaneFunctionProps): readonly string[] =>
      problems(() => new CrossplaneFunction(chart(), 'Fn', props));
    expect(
      attempt({ package: `${pkg}:v1`, version: 'latest', name: 'Fn', runtimeConfigName: 'a_b' }),
    ).toEqual([
      `package: "${pkg}:v1" is not allowed; expected an OCI repository without tag or digest, such as "xpkg.crossplane.io/crossplane-contrib/function-auto-ready"`,
      'version: "latest" is not allowed; expected an exact version tag such as "v0.7.0"',
      'name: "Fn" is not allowed; expected a DNS-1123 label of at most 63 characters',
      'runtimeConfigName: "a_b" is not allowed; expected a DNS-1123 label of at most 63 characters',
    ]);
  });
});

describe('FunctionRuntimeConfig', () => {
  it('gives function pods requests, limits, probes and a restricted security context', () => {
    const c = chart();
    new FunctionRuntimeConfig(c, 'Rt');
    const [obj] = Testing.synth(c);
    expect(validateObject(obj)).toEqual([]);
    const pod = obj.spec.deploymentTemplate.spec.template.spec;
    // A numeric user (Crossplane's own default, 2000): the images name theirs (`nonroot`).
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 2000,
      runAsGroup: 2000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.containers;
    expect(container.name).toBe(PACKAGE_RUNTIME_CONTAINER);
    expect(container.resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 2000,
      runAsGroup: 2000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // TCP checks of the port Crossplane adds as `grpc` (9443): the servers speak mutual TLS.
    expect(container.readinessProbe.tcpSocket).toEqual({ port: 'grpc' });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 'grpc' });
  });

  it('runs as the user it is given', () => {
    const c = chart();
    new FunctionRuntimeConfig(c, 'Rt', { runAs: { user: 65532, group: 65532 } });
    const pod = Testing.synth(c)[0].spec.deploymentTemplate.spec.template.spec;
    expect(pod.securityContext.runAsUser).toBe(65532);
    expect(pod.containers[0].securityContext.runAsUser).toBe(65532);
  });

  it('rejects bad names and quantities', () => {
    const attempt = (props: FunctionRuntimeConfigProps): readonly string[] =>
      problems(() => new FunctionRuntimeConfig(chart(), 'Rt', props));
    expect(
      attempt({
        name: 'Platform',
        requests: { cpu: '1 core', memory: '64Mi' },
        limits: { cpu: '1', memory: '-1Gi' },
        runAs: { user: 0, group: 1.5 },
      }),
    ).toEqual([
      'name: "Platform" is not allowed; expected a DNS-1123 label of at most 63 characters',
      'requests.cpu: "1 core" is not allowed; expected a Kubernetes quantity such as "100m" or "128Mi"',
      'limits.memory: "-1Gi" is not allowed; expected a Kubernetes quantity such as "100m" or "128Mi"',
      'runAs.user: "0" is not allowed; expected a positive integer (a numeric, non-root id)',
      'runAs.group: "1.5" is not allowed; expected a positive integer (a numeric, non-root id)',
    ]);
  });
});
