import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { denyingPolicy } from '../admission-policy';

export interface DatabasePlacementProps {
  /** The instance kind that may only be created in team namespaces. */
  readonly api: {
    readonly group: string;
    readonly version: string;
    readonly plural: string;
    readonly kind: string;
  };
  /** The label the TeamNamespace composition puts on every namespace it makes. */
  readonly teamNamespaceLabel: string;
}

/**
 * Databases go into team namespaces only, as a ValidatingAdmissionPolicy evaluated by the API
 * server: creating an instance in a namespace without the TeamNamespace composition's owner
 * label (kube-system, a platform add-on's namespace, a namespace made by hand) is refused. The
 * claims pipeline may create claims in any namespace its path names, and Kro's RBAC covers
 * every namespace, so the form's reserved-namespace check alone would leave the API open to a
 * merged claim file. Team members cannot set the label: it is on the Namespace object, which
 * their `edit` RoleBinding does not reach. Only CREATE is checked, so existing instances are
 * never locked out of updates.
 */
export class DatabasePlacement extends Construct {
  public readonly policy: ApiObject;

  constructor(scope: Construct, id: string, props: DatabasePlacementProps) {
    super(scope, id);
    const { group, version, plural, kind } = props.api;
    const label = props.teamNamespaceLabel;
    this.policy = denyingPolicy(this, 'TeamNamespaces', `${plural}.${group}-team-namespaces-only`, {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [group],
            apiVersions: [version],
            operations: ['CREATE'],
            resources: [plural],
          },
        ],
      },
      validations: [
        {
          expression: `has(namespaceObject.metadata.labels) && '${label}' in namespaceObject.metadata.labels`,
          messageExpression: `'${kind} ' + object.metadata.name + ': namespace ' + namespaceObject.metadata.name + ' is not a team namespace (it has no ${label} label); request a TeamNamespace and create the ${kind} there'`,
          reason: 'Forbidden',
        },
      ],
    });
  }
}
