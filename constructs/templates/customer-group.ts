/**
 * Customer group onboarding (the seed's "customer groups" templates), reviewed in one merge
 * request on the claims repository: the GitLab subgroup under the customers group (as a Backstage
 * Group entity the claims pipeline creates the subgroup from once merged), and a team-namespace
 * claim owned by it.
 *
 * Reviewed creation rather than `gitlab:group:ensureExists`: a new group is a new tenant (people,
 * a namespace, quota), so the platform team approves it like any claim; and the portal never
 * holds a token that can create groups. Only the claims pipeline on the protected default branch
 * can (a group token of the customers group, in a protected, masked CI variable).
 */
import type { Construct } from 'constructs';
import { CONFIGURED_GROUP_PATH_MAX_LENGTH } from '../gitlab-paths';
import {
  CLAIM_OUTPUT,
  claimSkeleton,
  ENVIRONMENT,
  mergeRequestSteps,
  parameterText,
  renderSkeletonStep,
  specField,
  type ClaimKindRef,
  type TargetApi,
} from './claims';
import { formField, nameField } from './form';
import { SoftwareTemplate } from './template';

/** Where the group requests go in the claims repository (the pipeline creates them). */
export const GROUP_REQUESTS_DIR = 'groups';

/** A GitLab group name: letters, digits, '_', '.', '-', ' ', '(' and ')', not starting with a symbol. */
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_. ()-]*$';

/** The annotation of a group request with the GitLab group's full path. */
export const GROUP_PATH_ANNOTATION = 'platform.example.org/gitlab-group';

/**
 * The longest group path (its name in the form) that fits every stack the configuration allows:
 * the namespace claim's `spec.owner` is `<customers group>/<path>` and the API caps spec.owner;
 * the customers group path is at most CONFIGURED_GROUP_PATH_MAX_LENGTH characters. (The group's
 * entity name, `<customers group entity>-<path>`, is shorter still: the entity is the customers
 * group's path relative to the platform group.) The namespace itself is named after the path.
 */
export function groupPathBudget(teamNamespace: TargetApi): number {
  const ownerMax = specField(teamNamespace, 'owner').maxLength;
  if (ownerMax === undefined) {
    throw new Error(
      `${teamNamespace.kind} spec.owner has no maxLength: the group path budget needs it`,
    );
  }
  return Math.min(ownerMax - 1 - CONFIGURED_GROUP_PATH_MAX_LENGTH, teamNamespace.maxNameLength);
}

/**
 * The Group entity of the request, as an object the skeleton writes with one JSON serializer
 * (`dump`), so that any value, or a missing one, still gives valid JSON: a field whose value is
 * missing (the description is optional, and only the portal's UI fills in form defaults) is left
 * out by the scaffolder when it renders step inputs. Name and parent are those the GitLab org
 * provider gives the group once it exists. The provider's own path annotation,
 * `<host>/team-path`, cannot be written here: its key depends on the stack's GitLab host and the
 * template engine (nunjitsu) takes only literal dictionary keys; the request carries the path
 * under GROUP_PATH_ANNOTATION, which the pipeline's group check reads.
 */
const GROUP_ENTITY = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: {
    name: '${{ environment.parameters.customersGroupEntity }}-${{ parameters.name }}',
    description: '${{ parameters.description }}',
    annotations: {
      [GROUP_PATH_ANNOTATION]: `${ENVIRONMENT.customersGroup}/\${{ parameters.name }}`,
      'platform.example.org/requested-by': '${{ user.ref }}',
    },
  },
  spec: {
    type: 'team',
    profile: { displayName: '${{ parameters.displayName }}' },
    parent: '${{ environment.parameters.customersGroupEntity }}',
    children: [],
  },
} as const;

export class CustomerGroupTemplate extends SoftwareTemplate {
  constructor(
    scope: Construct,
    id: string,
    props: { owner: string; teamNamespace: TargetApi & ClaimKindRef },
  ) {
    const ns = props.teamNamespace;
    super(scope, id, {
      name: 'customer-group',
      title: 'Customer group onboarding',
      description:
        'Onboard a team: its GitLab group under the customers group, its Backstage Group and its team namespace, reviewed in one merge request on the claims repository.',
      tags: ['platform', 'gitlab', 'onboarding'],
      owner: props.owner,
      type: 'platform-claim',
      pages: [
        {
          title: 'Team',
          required: ['name', 'displayName'],
          fields: {
            name: nameField(
              'Group path',
              'Path of the GitLab group under the customers group; also the name of its namespace.',
              groupPathBudget(ns),
              ns.namePattern,
            ),
            displayName: {
              title: 'Group name',
              description: "The group's display name in GitLab and the portal.",
              type: 'string',
              minLength: 1,
              maxLength: 100,
              pattern: GROUP_NAME_PATTERN,
            },
            description: {
              title: 'Description',
              description: 'What the team does (one line).',
              type: 'string',
              maxLength: 200,
              pattern: '^[^\\r\\n]*$',
              default: '',
            },
            size: formField('size', specField(ns, 'size'), { title: 'Namespace size' }),
          },
        },
      ],
      steps: [
        renderSkeletonStep({
          id: 'renderRequest',
          name: 'Render the group and its namespace claim',
          targetPath: 'request',
          values: {
            name: '${{ parameters.name }}',
            size: '${{ parameters.size }}',
            owner: `${ENVIRONMENT.customersGroup}/\${{ parameters.name }}`,
            requestedBy: '${{ user.ref }}',
            group: GROUP_ENTITY,
          },
        }),
        ...mergeRequestSteps({
          branchName: 'onboarding/${{ parameters.name }}',
          title: 'Onboard ${{ parameters.displayName }} (${{ parameters.name }})',
          description: `Creates the GitLab group \`${ENVIRONMENT.customersGroup}/\${{ parameters.name }}\` ("\${{ parameters.displayName }}"), its Backstage Group, and the namespace \`\${{ parameters.name }}\` (size \`${parameterText(ns, 'size')}\`) owned by it. Requested by \`${ENVIRONMENT.requester}\` in the developer portal. Once merged, the pipeline creates the group, then applies the claim; add the team's members in GitLab.`,
          sourcePath: 'request',
          targetPath: '.',
        }),
      ],
      output: CLAIM_OUTPUT,
      skeleton: {
        [`${GROUP_REQUESTS_DIR}/\${{ values.name }}.json`]: '${{ values.group | dump(2) }}\n',
        [`claims/${ns.plural}/\${{ values.name }}.yaml`]: claimSkeleton(ns, 'customer-group', [
          { key: 'owner', value: 'owner' },
          { key: 'size', value: 'size', optional: true },
        ]),
      },
    });
  }
}
