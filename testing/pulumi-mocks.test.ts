/**
 * The Pulumi internals the mock runner (testing/pulumi-mocks.ts) relies on, pinned: an upgrade of
 * @pulumi/pulumi that changes one fails here, naming it, instead of as a plan that silently
 * records nothing or shows a secret. Its own file: Pulumi's runtime is global, one program run per
 * test file.
 */
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PULUMI_WIRE,
  runUnderMocks,
  SECRET_MARKER,
  withoutStackCapture,
  type ResourceCallsites,
  type RunResult,
} from './pulumi-mocks';

/* eslint-disable @typescript-eslint/no-require-imports -- internals the SDK does not re-export */
const rpc = require('@pulumi/pulumi/runtime/rpc') as Record<string, unknown>;
const mocks = require('@pulumi/pulumi/runtime/mocks') as { MockMonitor: new () => object };
const resourcePb = require('@pulumi/pulumi/proto/resource_pb') as Record<
  string,
  { prototype: Record<string, unknown> }
>;
const structPb = require('google-protobuf/google/protobuf/struct_pb') as {
  Struct: { fromJavaScript?: unknown };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const CHANGED = 'changed in @pulumi/pulumi: testing/pulumi-mocks.ts relies on it';

/** A child resource with every option the plan records. */
class Probe extends pulumi.CustomResource {
  declare public readonly password: pulumi.Output<string>;
  constructor(
    name: string,
    args: Record<string, pulumi.Input<unknown>>,
    opts: pulumi.CustomResourceOptions,
  ) {
    super('test:index:Probe', name, { ...args, password: undefined }, opts);
  }
}

describe("Pulumi's internals the mock runner relies on", () => {
  it("uses the wire-format signatures of Pulumi's property serialization", () => {
    expect(
      {
        sig: rpc.specialSigKey,
        secret: rpc.specialSecretSig,
        resource: rpc.specialResourceSig,
        output: rpc.specialOutputValueSig,
        unknown: rpc.unknownValue,
      },
      `a wire-format signature (runtime/rpc) ${CHANGED}`,
    ).toEqual(PULUMI_WIRE);
  });

  it('reads requests and responses through methods the protobuf classes have', () => {
    const request = resourcePb.RegisterResourceRequest?.prototype ?? {};
    for (const method of [
      'getType',
      'getName',
      'getParent',
      'getProvider',
      'getDependenciesList',
      'getProtect',
      'getRetainondelete',
      'getVersion',
      'getObject',
      'getAdditionalsecretoutputsList',
    ]) {
      expect(typeof request[method], `RegisterResourceRequest.${method} ${CHANGED}`).toBe(
        'function',
      );
    }
    const response = resourcePb.RegisterResourceResponse?.prototype ?? {};
    for (const method of ['getObject', 'setObject']) {
      expect(typeof response[method], `RegisterResourceResponse.${method} ${CHANGED}`).toBe(
        'function',
      );
    }
    expect(typeof structPb.Struct.fromJavaScript, `Struct.fromJavaScript ${CHANGED}`).toBe(
      'function',
    );
  });

  it('replaces registerResource(request, callback) of the mock monitor', () => {
    const register = (mocks.MockMonitor.prototype as Record<string, unknown>).registerResource;
    expect(typeof register, `MockMonitor.registerResource ${CHANGED}`).toBe('function');
    expect(
      (register as (...args: unknown[]) => unknown).length,
      `MockMonitor.registerResource(request, callback) ${CHANGED}`,
    ).toBe(2);
  });
});

describe('the mock runner on a program that uses them', () => {
  let result: RunResult;
  let secretOutput: pulumi.Output<string>;
  /** What the program saw of stack capture while it ran, and how often Pulumi asked for a position. */
  let during: { frames: number; callsites: unknown; positions: number };
  const callsitesOf = (): unknown => (pulumi.Resource as unknown as ResourceCallsites).callsites;
  const before = { limit: Error.stackTraceLimit, callsites: callsitesOf() };

  beforeAll(async () => {
    result = await runUnderMocks({
      stack: 'pin',
      config: {},
      mockOutputs: (type) => (type === 'test:index:Probe' ? { password: 'canary-password' } : {}),
      load: () => {
        const resource = pulumi.Resource as unknown as ResourceCallsites;
        const runners = resource.callsites;
        during = {
          frames: (new Error().stack ?? '').split('\n').length - 1,
          callsites: runners(),
          positions: 0,
        };
        resource.callsites = () => {
          during.positions += 1;
          return runners();
        };
        const component = new pulumi.ComponentResource('test:index:Parent', 'parent', {});
        const first = new Probe('first', { size: 1 }, { parent: component });
        const second = new Probe(
          'second',
          { from: first.id, secretInput: pulumi.secret('canary-input') },
          {
            parent: component,
            dependsOn: [first],
            protect: true,
            retainOnDelete: true,
            version: '1.2.3',
            // Made secret by the engine, not the SDK: the runner does it as the engine would.
            additionalSecretOutputs: ['password'],
          },
        );
        resource.callsites = runners;
        secretOutput = second.password;
        return { password: second.password };
      },
    });
  }, 60_000);

  it('records every resource the SDK registers, with its options, through that method', () => {
    const recorded = result.entries.map((e) => `${e.type}::${e.name}`);
    expect(
      recorded,
      `the SDK no longer registers resources through monitor.registerResource: ${CHANGED}`,
    ).toEqual(['test:index:Parent::parent', 'test:index:Probe::first', 'test:index:Probe::second']);
    const second = result.entries[2];
    expect(second).toEqual({
      type: 'test:index:Probe',
      name: 'second',
      parent: 'test:index:Parent::parent',
      dependsOn: ['test:index:Probe::first'],
      protect: true,
      retainOnDelete: true,
      version: '1.2.3',
      inputs: { from: 'first-id', secretInput: SECRET_MARKER },
    });
  });

  it('captures no stack while the program runs, and restores stack capture after it', () => {
    expect(during).toMatchObject({ frames: 0, callsites: [] });
    expect(
      during.positions,
      `a resource's source position no longer comes from Resource.callsites, which the runner replaces: ${CHANGED}`,
    ).toBe(3);
    expect(Error.stackTraceLimit).toBe(before.limit);
    expect(before.limit).toBeGreaterThan(0);
    expect(callsitesOf()).toBe(before.callsites);
    const restore = withoutStackCapture();
    restore();
    expect(new Error().stack).toMatch(/\n\s+at /);
  });

  it('makes additionalSecretOutputs secret, as the engine would', async () => {
    expect(await pulumi.isSecret(secretOutput)).toBe(true);
    expect(result.exports).toEqual({ password: SECRET_MARKER });
    expect(JSON.stringify(result)).not.toMatch(/canary/);
  });
});
