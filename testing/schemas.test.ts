import { describe, expect, it } from 'vitest';
import { parseFieldPath, schemaAt } from './field-path';
import { crdSchema, kindDeclaresField, validateObject } from './schemas';

// The helpers every conformance test relies on must themselves reject bad objects.
describe('schema helpers', () => {
  it('parses Crossplane field paths', () => {
    expect(parseFieldPath('spec.hard[requests.cpu]')).toEqual(['spec', 'hard', 'requests.cpu']);
    expect(parseFieldPath('subjects[0].name')).toEqual(['subjects', 0, 'name']);
    expect(parseFieldPath('metadata.labels[example.org/owner]')).toEqual([
      'metadata',
      'labels',
      'example.org/owner',
    ]);
    expect(() => parseFieldPath('spec[oops')).toThrow(/unclosed/);
  });

  it('validates core kinds and reports unknown fields', () => {
    expect(
      validateObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }),
    ).toEqual([]);
    const problems = validateObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a', labelz: { x: 'y' } },
      spec: { finalizers: 'kubernetes' },
    });
    expect(problems).toContain('/metadata/labelz is not a field of v1 Namespace');
    expect(problems.some((p) => p.startsWith('/spec/finalizers must be array'))).toBe(true);
  });

  it('validates custom resources against their CRD and rejects unknown fields', () => {
    const fn = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', metadata: { name: 'f' } };
    expect(validateObject({ ...fn, spec: { package: 'xpkg.crossplane.io/a/b:v1.0.0' } })).toEqual(
      [],
    );
    expect(validateObject({ ...fn, spec: {} })).toEqual([
      "/spec must have required property 'package'",
    ]);
    expect(validateObject({ ...fn, spec: { package: 'x', pakage: 'y' } })).toEqual([
      '/spec must NOT have additional properties (pakage)',
    ]);
  });

  it('reports kinds it has no schema for', () => {
    expect(validateObject({ apiVersion: 'example.org/v1', kind: 'Nothing' })).toEqual([
      'no upstream schema for example.org/v1 Nothing',
    ]);
  });

  it('knows which fields a kind declares', () => {
    expect(kindDeclaresField('v1', 'ResourceQuota', 'spec.hard[requests.cpu]')).toBe(true);
    expect(kindDeclaresField('v1', 'ResourceQuota', 'spec.hardd[requests.cpu]')).toBe(false);
    expect(
      kindDeclaresField('rbac.authorization.k8s.io/v1', 'RoleBinding', 'subjects[0].name'),
    ).toBe(true);
    expect(
      kindDeclaresField('rbac.authorization.k8s.io/v1', 'RoleBinding', 'subjects[0].nam'),
    ).toBe(false);
    expect(kindDeclaresField('v1', 'LimitRange', 'spec.limits[0].defaultRequest.cpu')).toBe(true);
    expect(kindDeclaresField('pkg.crossplane.io/v1', 'Function', 'spec.package')).toBe(true);
    expect(kindDeclaresField('pkg.crossplane.io/v1', 'Function', 'spec.pakage')).toBe(false);
  });

  it('finds CRD schemas of served versions', () => {
    const schema = crdSchema('kro.run/v1alpha1', 'ResourceGraphDefinition');
    expect(schema).toBeDefined();
    expect(schemaAt(schema!, ['spec', 'resources', 0, 'readyWhen'])).toBeDefined();
    expect(crdSchema('kro.run/v1', 'ResourceGraphDefinition')).toBeUndefined();
  });
});
