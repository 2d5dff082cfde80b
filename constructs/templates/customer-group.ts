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
import { DNS1123_LABEL_MAX_LENGTH } from '../names';
import {
  CLAIM_OUTPUT,
  claimSkeleton,
  ENVIRONMENT,
  mergeRequestStep,
  renderSkeletonStep,
  specField,
  type ClaimKindRef,
  type TargetApi,
} from './claims';
import { formField, nameField } from './form';
import { SoftwareTemplate } from './template';

/** Where the group requests go in the claims repository (the pipeline creates them). */
export const GROUP_REQUESTS_DIR = 'groups';

/**
 * The longest group path: the org provider names the group's entity `<customers entity>-<path>`,
 * a DNS label; this leaves 22 characters for the customers group's entity name.
 */
export const MAX_GROUP_PATH_LENGTH = 40;

/** A GitLab group name: letters, digits, '_', '.', '-', ' ', '(' and ')', not starting with a symbol. */
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_. ()-]*$';

/**
 * The Group entity, written as JSON (valid YAML, and what the pipeline reads with jq). Its name and
 * annotation are those the GitLab org provider gives the group once it exists.
 */
function groupEntity(): string {
  return `${[
    '{',
    '  "apiVersion": "backstage.io/v1alpha1",',
    '  "kind": "Group",',
    '  "metadata": {',
    '    "name": ${{ (values.customersGroupEntity + "-" + values.name) | dump }},',
    '    "description": ${{ values.description | dump }},',
    '    "annotations": {',
    '      ${{ (values.gitlabHost + "/team-path") | dump }}: ${{ (values.customersGroup + "/" + values.name) | dump }},',
    '      "platform.example.org/requested-by": ${{ values.requestedBy | dump }}',
    '    }',
    '  },',
    '  "spec": {',
    '    "type": "team",',
    '    "profile": { "displayName": ${{ values.displayName | dump }} },',
    '    "parent": ${{ values.customersGroupEntity | dump }},',
    '    "children": []',
    '  }',
    '}',
  ].join('\n')}\n`;
}

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
              Math.min(MAX_GROUP_PATH_LENGTH, ns.maxNameLength, DNS1123_LABEL_MAX_LENGTH),
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
            displayName: '${{ parameters.displayName }}',
            description: '${{ parameters.description }}',
            size: '${{ parameters.size }}',
            owner: `${ENVIRONMENT.customersGroup}/\${{ parameters.name }}`,
            customersGroup: ENVIRONMENT.customersGroup,
            customersGroupEntity: '${{ environment.parameters.customersGroupEntity }}',
            gitlabHost: `\${{ ${ENVIRONMENT.gitlabHost} }}`,
            requestedBy: '${{ user.ref }}',
          },
        }),
        mergeRequestStep({
          branchName: 'onboarding/${{ parameters.name }}',
          title: 'Onboard ${{ parameters.displayName }} (${{ parameters.name }})',
          description: `Creates the GitLab group \`${ENVIRONMENT.customersGroup}/\${{ parameters.name }}\` ("\${{ parameters.displayName }}"), its Backstage Group, and the namespace \`\${{ parameters.name }}\` (size \`\${{ parameters.size }}\`) owned by it. Requested by \`\${{ user.ref }}\` in the developer portal. Once merged, the pipeline creates the group, then applies the claim; add the team's members in GitLab.`,
          sourcePath: 'request',
          targetPath: '.',
        }),
      ],
      output: CLAIM_OUTPUT,
      skeleton: {
        [`${GROUP_REQUESTS_DIR}/\${{ values.name }}.json`]: groupEntity(),
        [`claims/${ns.plural}/\${{ values.name }}.yaml`]: claimSkeleton(ns, 'customer-group', [
          { key: 'owner', value: 'owner' },
          { key: 'size', value: 'size' },
        ]),
      },
    });
  }
}
