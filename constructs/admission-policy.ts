import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/**
 * A ValidatingAdmissionPolicy that fails closed (a CEL error denies) and its binding with the
 * `Deny` action, both named `name`; construct ids `<id>Policy` and `<id>PolicyBinding`.
 * `matchResources` narrows the binding (an `objectSelector` on labels, for example).
 */
export function denyingPolicy(
  scope: Construct,
  id: string,
  name: string,
  spec: Record<string, unknown>,
  matchResources?: Record<string, unknown>,
): ApiObject {
  const policy = new ApiObject(scope, `${id}Policy`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: { failurePolicy: 'Fail', ...spec },
  });
  new ApiObject(scope, `${id}PolicyBinding`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      ...(matchResources !== undefined ? { matchResources } : {}),
    },
  });
  return policy;
}
