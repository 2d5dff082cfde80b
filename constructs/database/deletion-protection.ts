import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { denyingPolicy } from '../admission-policy';

export interface DatabaseDeletionProtectionProps {
  /** The instance kind whose `spec.deletionProtection` guards it. */
  readonly api: {
    readonly group: string;
    readonly version: string;
    readonly plural: string;
    readonly kind: string;
  };
  /** The label (value "true" or "false") the graph copies onto the data volume. */
  readonly volumeLabel: string;
}

/** The label on a database's volume that mirrors the instance's `spec.deletionProtection`. */
export const databaseProtectionLabel = (group: string): string => `${group}/deletion-protection`;

/**
 * Protection of databases against accidental deletion, as two ValidatingAdmissionPolicies
 * evaluated by the API server itself, in the spirit of the TeamNamespace's (see
 * constructs/team-namespace/deletion-protection.ts):
 * 1. An instance cannot be deleted while `spec.deletionProtection` is true (the default). Its
 *    stored objects get the default when read, so instances older than the field are protected
 *    too. Deleting a protected instance is refused for everyone, the namespace controller
 *    included: a team namespace with protected databases stays Terminating until they are
 *    unprotected.
 * 2. Its volume, labelled `<group>/deletion-protection: "true"` while the instance is protected,
 *    cannot be deleted by anyone either; Kro keeps the label in step with the spec. When the
 *    instance is deleted Kro leaves the volume alone (its `includeWhen`, see resources.ts), with
 *    the label it had last, "false": the retained volume can then be deleted on purpose.
 * Both guard against accidents, not against a cluster admin who means it: relabelling the volume
 * or deleting a ValidatingAdmissionPolicyBinding (the break-glass) lifts them.
 *
 * The instance rule names the served version instead of `*`: the API server's policy type checker
 * gives up on wildcards, and with the default `matchPolicy: Equivalent` a request through any
 * other version is still matched.
 */
export class DatabaseDeletionProtection extends Construct {
  public readonly instancePolicy: ApiObject;
  public readonly volumePolicy: ApiObject;

  constructor(scope: Construct, id: string, props: DatabaseDeletionProtectionProps) {
    super(scope, id);
    const { group, version, plural, kind } = props.api;
    const label = props.volumeLabel;

    this.instancePolicy = denyingPolicy(this, 'Instance', `${plural}.${group}-protect-instances`, {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [group],
            apiVersions: [version],
            operations: ['DELETE'],
            resources: [plural],
          },
        ],
      },
      validations: [
        {
          // Fails closed: without the field (never, once defaulted) the instance is protected.
          expression:
            'has(oldObject.spec.deletionProtection) && !oldObject.spec.deletionProtection',
          messageExpression: `'${kind} ' + oldObject.metadata.namespace + '/' + oldObject.metadata.name + ' has spec.deletionProtection: true; merge deletionProtection: false first, then delete it'`,
          reason: 'Forbidden',
        },
      ],
    });

    this.volumePolicy = denyingPolicy(
      this,
      'Volume',
      `${plural}.${group}-protect-volumes`,
      {
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['DELETE'],
              resources: ['persistentvolumeclaims'],
            },
          ],
        },
        validations: [
          {
            expression: `!has(oldObject.metadata.labels) || !('${label}' in oldObject.metadata.labels) || oldObject.metadata.labels['${label}'] != 'true'`,
            messageExpression: `'PersistentVolumeClaim ' + oldObject.metadata.namespace + '/' + oldObject.metadata.name + ' holds the data of a ${kind} with spec.deletionProtection: true; merge deletionProtection: false first'`,
            reason: 'Forbidden',
          },
        ],
      },
      { objectSelector: { matchLabels: { [label]: 'true' } } },
    );
  }
}
