import { describe, expect, it } from 'vitest';
import { apiGroupOf, resourceNameOf, rulesFor } from './rbac';

describe('rbac', () => {
  it('groups resources per API group, sorted, whatever the input order', () => {
    const a = rulesFor(
      [
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'v1', kind: 'Secret' },
        { apiVersion: 'v1', kind: 'Namespace' },
        { apiVersion: 'v1', kind: 'Secret' },
      ],
      ['get'],
    );
    expect(a).toEqual([
      { apiGroups: [''], resources: ['namespaces', 'secrets'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
    ]);
  });

  it('knows the core group and refuses kinds it has no resource name for', () => {
    expect(apiGroupOf('v1')).toBe('');
    expect(apiGroupOf('rbac.authorization.k8s.io/v1')).toBe('rbac.authorization.k8s.io');
    expect(() => resourceNameOf({ apiVersion: 'v1', kind: 'ConfigMap' })).toThrow(
      'no RBAC resource name known for v1 ConfigMap; add it to RESOURCE_NAMES in constructs/rbac.ts',
    );
  });
});
