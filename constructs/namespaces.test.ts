import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evalCel } from '../testing/cel';
import { isDnsLabel } from './names';
import { isReservedNamespace, TEAM_NAMESPACE_PATTERN, unreservedNamespaceRule } from './namespaces';

/** Every namespace the offline plan of the dev stack creates, installs into or admits by name. */
function planNamespaces(): string[] {
  const plan = parse(
    fs.readFileSync(path.join(__dirname, '..', 'dist', 'plan', 'dev.yaml'), 'utf8'),
  ) as { resources: { type: string; inputs?: unknown }[] };
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ((k === 'namespace' || k === 'kubernetes.io/metadata.name') && typeof v === 'string') {
          found.add(v);
        }
        visit(v);
      }
    }
  };
  for (const r of plan.resources) {
    if (r.type === 'kubernetes:core/v1:Namespace') {
      found.add((r.inputs as { metadata: { name: string } }).metadata.name);
    }
    visit(r.inputs);
  }
  return [...found].sort();
}

const pattern = new RegExp(TEAM_NAMESPACE_PATTERN);
const celAccepts = (name: string): unknown =>
  evalCel(unreservedNamespaceRule('self.metadata.name'), { self: { metadata: { name } } });

describe('reserved namespaces', () => {
  it('cover every namespace the stack installs into or admits traffic from', () => {
    const namespaces = planNamespaces();
    // The plan is the one `pulumi up` runs: it must name the platform's namespaces.
    expect(namespaces).toEqual(
      expect.arrayContaining(['backstage', 'crossplane-system', 'kro-system', 'gitlab-agent']),
    );
    for (const ns of namespaces) {
      expect(isReservedNamespace(ns), ns).toBe(true);
    }
  });

  it.each([
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
    'kube-anything',
    'crossplane-system',
    'kro-system',
    'cnpg-system',
    'backstage',
    'gitlab-agent',
    'ingress-nginx',
    'cert-manager',
  ])('refuses %s, in the CEL rule and in the form pattern alike', (name) => {
    expect(celAccepts(name)).toBe(false);
    expect(pattern.test(name)).toBe(false);
  });

  it.each(['team-a', 'kube', 'kubeflow', 'defaults', 'my-backstage', 'backstage2', 'a', '0'])(
    'accepts the team namespace %s in both',
    (name) => {
      expect(celAccepts(name)).toBe(true);
      expect(pattern.test(name)).toBe(true);
    },
  );

  it('keeps the form pattern a DNS-1123 label pattern', () => {
    for (const name of ['Team-a', 'team_a', '-a', 'a-', '', 'a.b']) {
      expect(pattern.test(name), name).toBe(isDnsLabel(name));
    }
  });
});
