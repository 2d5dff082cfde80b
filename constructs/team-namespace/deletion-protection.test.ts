import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { evalCel } from '../../testing/cel';
import { TeamNamespaceApi } from './team-namespace';
import { testApp } from '../../testing/cdk8s-app';

const chart = new Chart(testApp(), 'test');
new TeamNamespaceApi(chart, 'TeamNamespace');
const objects = Testing.synth(chart) as Record<string, any>[];
const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
const byResource = (resource: string): Record<string, any> =>
  policies.find((p) => p.spec.matchConstraints.resourceRules[0].resources.includes(resource))!;

/** Whether the API server would admit the DELETE of `oldObject` under `policy`. */
function admits(policy: Record<string, any>, oldObject: Record<string, unknown>): boolean {
  return policy.spec.validations.every(
    (v: { expression: string }) => evalCel(v.expression, { oldObject }) === true,
  );
}

const LABEL = 'platform.example.org/deletion-protection';

describe('deletion protection', () => {
  it('binds each policy with Deny, failing closed', () => {
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.spec.failurePolicy).toBe('Fail');
      const binding = bindings.find((b) => b.spec.policyName === p.metadata.name);
      expect(binding?.spec.validationActions).toEqual(['Deny']);
    }
    for (const p of policies) {
      expect(
        p.spec.matchConstraints.resourceRules.every((r: any) => r.operations.join() === 'DELETE'),
      ).toBe(true);
    }
  });

  it('only selects namespaces labelled as protected', () => {
    const binding = bindings.find(
      (b) => b.spec.policyName === byResource('namespaces').metadata.name,
    )!;
    expect(binding.spec.matchResources.objectSelector.matchLabels).toEqual({ [LABEL]: 'true' });
  });

  it('refuses to delete a protected namespace and allows an unprotected one', () => {
    const policy = byResource('namespaces');
    const ns = (labels?: Record<string, string>): Record<string, unknown> => ({
      metadata: { name: 'team-a', ...(labels ? { labels } : {}) },
    });
    expect(admits(policy, ns({ [LABEL]: 'true' }))).toBe(false);
    expect(admits(policy, ns({ [LABEL]: 'false' }))).toBe(true);
    expect(admits(policy, ns({ other: 'x' }))).toBe(true);
    expect(admits(policy, ns())).toBe(true);
    const message = policy.spec.validations[0].messageExpression;
    expect(evalCel(message, { oldObject: ns() })).toBe(
      'namespace team-a is protected by TeamNamespace team-a: set its spec.deletionProtection to false first',
    );
  });

  it('refuses to delete a TeamNamespace until protection is off on it and on its namespace', () => {
    const policy = byResource('teamnamespaces');
    const tn = (spec: boolean, status?: Record<string, unknown>): Record<string, unknown> => ({
      metadata: { name: 'team-a' },
      spec: { owner: 'g', deletionProtection: spec },
      ...(status ? { status } : {}),
    });
    expect(admits(policy, tn(true, { namespace: 'team-a', deletionProtection: true }))).toBe(false);
    expect(admits(policy, tn(false, { namespace: 'team-a', deletionProtection: true }))).toBe(
      false,
    );
    expect(admits(policy, tn(false, { namespace: 'team-a' }))).toBe(false);
    expect(admits(policy, tn(false, { namespace: 'team-a', deletionProtection: false }))).toBe(
      true,
    );
    // Never got a namespace: nothing to protect.
    expect(admits(policy, tn(false))).toBe(true);
    expect(admits(policy, tn(true))).toBe(false);
  });
});
