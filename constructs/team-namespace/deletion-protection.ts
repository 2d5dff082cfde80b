import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { denyingPolicy } from '../admission-policy';

export interface DeletionProtectionProps {
  /** The XR kind whose `spec.deletionProtection` guards it. */
  readonly xrd: { readonly group: string; readonly plural: string; readonly kind: string };
  /** The label (value "true" or "false") the composition copies onto the namespace. */
  readonly namespaceLabel: string;
}

/**
 * Protection of team namespaces against accidental deletion, as two ValidatingAdmissionPolicies
 * evaluated by the API server itself.
 *
 * Why not a Crossplane Usage: a Usage composed by the TeamNamespace is deleted together with it,
 * so the likeliest accident, a claim file removed in a merge request (or a `kubectl delete` of
 * the XR), takes the protection away with the namespace and every workload and volume in it. A
 * Usage also protects only through Crossplane's webhook. These policies instead make deletion a
 * deliberate two-step change, like deletion protection on a cloud database:
 * 1. A TeamNamespace cannot be deleted while `spec.deletionProtection` is true (the default),
 *    nor before Crossplane has propagated `false` to its namespace (`status.deletionProtection`).
 * 2. A namespace labelled `<group>/deletion-protection: "true"` cannot be deleted by anyone,
 *    cluster admins and Crossplane included.
 * Break-glass: a cluster admin can delete the ValidatingAdmissionPolicyBinding.
 */
export class DeletionProtection extends Construct {
  public readonly namespacePolicy: ApiObject;
  public readonly xrPolicy: ApiObject;

  constructor(scope: Construct, id: string, props: DeletionProtectionProps) {
    super(scope, id);
    const { group, plural, kind } = props.xrd;
    const label = props.namespaceLabel;

    this.namespacePolicy = denyingPolicy(
      this,
      'Namespace',
      `${plural}.${group}-protect-namespaces`,
      {
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['DELETE'],
              resources: ['namespaces'],
            },
          ],
        },
        validations: [
          {
            expression: `!has(oldObject.metadata.labels) || !('${label}' in oldObject.metadata.labels) || oldObject.metadata.labels['${label}'] != 'true'`,
            messageExpression: `'namespace ' + oldObject.metadata.name + ' is protected by ${kind} ' + oldObject.metadata.name + ': set its spec.deletionProtection to false first'`,
            reason: 'Forbidden',
          },
        ],
      },
      { objectSelector: { matchLabels: { [label]: 'true' } } },
    );

    this.xrPolicy = denyingPolicy(this, 'Composite', `${plural}.${group}-protect-composites`, {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [group], apiVersions: ['*'], operations: ['DELETE'], resources: [plural] },
        ],
      },
      validations: [
        {
          expression:
            '!has(oldObject.spec.deletionProtection) || !oldObject.spec.deletionProtection',
          messageExpression: `'${kind} ' + oldObject.metadata.name + ' has spec.deletionProtection: true; set it to false, wait for status.deletionProtection to be false, then delete'`,
          reason: 'Forbidden',
        },
        {
          // Until Crossplane has relabelled the namespace, deleting the XR would leave a
          // protected namespace the garbage collector may not delete.
          expression:
            '!has(oldObject.status) || !has(oldObject.status.namespace) || (has(oldObject.status.deletionProtection) && !oldObject.status.deletionProtection)',
          messageExpression: `'${kind} ' + oldObject.metadata.name + ': its namespace is still protected; wait for status.deletionProtection to be false'`,
          reason: 'Forbidden',
        },
      ],
    });
  }
}
