/**
 * The platform's software templates, each generated from the API it targets: the form from the
 * API's schema (constructs/templates/form.ts), the skeleton from its kind, the merge request on
 * the claims repository. Changing a field in an XRD or RGD changes its form.
 */
import { Construct } from 'constructs';
import { DNS1123_LABEL_MAX_LENGTH } from '../names';
import {
  CLAIM_FILE,
  CLAIM_OUTPUT,
  claimSkeleton,
  claimsDirectory,
  ENVIRONMENT,
  mergeRequestSteps,
  parameterText,
  renderSkeletonStep,
  specField,
  type TargetApi,
} from './claims';
import { entityRefField, formField, nameField, namespaceField } from './form';
import { CustomerGroupTemplate } from './customer-group';
import { NewServiceTemplate } from './new-service';
import { SoftwareTemplate } from './template';

export interface PlatformTemplatesProps {
  readonly teamNamespace: TargetApi;
  readonly database: TargetApi;
  /** Entity ref of the templates' owner. @default 'group:default/platform-team' */
  readonly owner?: string;
}

/** The portal's owner check (backstage-config/backend/src/catalog-actions.ts). */
const GITLAB_GROUP_ACTION = 'platform:catalog:gitlab-group';

/** Where the claim is rendered in the workspace, and published from. */
const CLAIM_DIR = 'claim';

/** The values every claim skeleton receives besides its own fields. */
const REQUESTED_BY = { requestedBy: '${{ user.ref }}' };

export class PlatformTemplates extends Construct {
  public readonly teamNamespace: SoftwareTemplate;
  public readonly database: SoftwareTemplate;
  public readonly customerGroup: SoftwareTemplate;
  public readonly newService: SoftwareTemplate;
  public readonly all: readonly SoftwareTemplate[];

  constructor(scope: Construct, id: string, props: PlatformTemplatesProps) {
    super(scope, id);
    const owner = props.owner ?? 'group:default/platform-team';
    const ns = props.teamNamespace;
    const db = props.database;
    const ownerSchema = specField(ns, 'owner');

    this.teamNamespace = new SoftwareTemplate(this, 'TeamNamespace', {
      name: 'team-namespace',
      title: 'Team namespace',
      description: `Request a Kubernetes namespace for a team (${ns.kind}): quota, limits, network isolation and access for its GitLab group, reviewed as a merge request on the claims repository.`,
      tags: ['platform', 'kubernetes', 'crossplane'],
      owner,
      type: 'platform-claim',
      pages: [
        {
          title: 'Namespace',
          required: ['name', 'owner'],
          fields: {
            name: nameField(
              'Name',
              'Name of the namespace (and of the claim).',
              Math.min(ns.maxNameLength, DNS1123_LABEL_MAX_LENGTH),
              ns.namePattern,
            ),
            // Only Groups the GitLab org provider ingested can own a namespace (their
            // `<host>/team-path` annotation is the owner's GitLab path). The picker cannot filter
            // on that annotation: its key contains the stack's GitLab host, and the picker's
            // options are the same for every stack; the owner step checks it before the claim.
            owner: entityRefField('Group', {
              title: 'Owner',
              description:
                'The team that owns the namespace: a group from GitLab, whose members get edit rights.',
              'ui:field': 'OwnerPicker',
            }),
            size: formField('size', specField(ns, 'size')),
            viewers: formField('viewers', specField(ns, 'viewers'), {
              title: 'Viewer groups',
            }),
          },
        },
      ],
      steps: [
        {
          id: 'fetchOwner',
          name: 'Check the owner and look up its GitLab group',
          action: GITLAB_GROUP_ACTION,
          input: {
            entityRef: '${{ parameters.owner }}',
            gitlabHost: `\${{ ${ENVIRONMENT.gitlabHost} }}`,
            field: 'owner',
            // What the API accepts as spec.owner.
            pattern: ownerSchema.pattern,
            maxLength: ownerSchema.maxLength,
          },
        },
        renderSkeletonStep({
          id: 'renderClaim',
          name: 'Render the claim',
          targetPath: CLAIM_DIR,
          values: {
            name: '${{ parameters.name }}',
            // The GitLab group's full path, checked by the step before.
            owner: '${{ steps.fetchOwner.output.path }}',
            size: '${{ parameters.size }}',
            viewers: '${{ parameters.viewers }}',
            ...REQUESTED_BY,
          },
        }),
        ...mergeRequestSteps({
          branchName: `claims/${ns.plural}/\${{ parameters.name }}`,
          title: `${ns.kind} \${{ parameters.name }}`,
          description: `Creates the namespace \`\${{ parameters.name }}\` (size \`${parameterText(ns, 'size')}\`) owned by \`\${{ parameters.owner }}\` (GitLab group \`\${{ steps.fetchOwner.output.path }}\`), requested by \`${ENVIRONMENT.requester}\` in the developer portal. The pipeline checks the claim against the platform API; merging applies it.`,
          sourcePath: CLAIM_DIR,
          targetPath: claimsDirectory(ns),
        }),
      ],
      output: CLAIM_OUTPUT,
      skeleton: {
        [CLAIM_FILE]: claimSkeleton(ns, 'team-namespace', [
          { key: 'owner', value: 'owner' },
          { key: 'size', value: 'size', optional: true },
          { key: 'viewers', value: 'viewers', optional: true },
        ]),
      },
    });

    this.database = new SoftwareTemplate(this, 'Database', {
      name: 'postgres-database',
      title: 'PostgreSQL database',
      description: `Request a PostgreSQL database in a team namespace (${db.kind}): a volume that outlives the claim, generated credentials in a Secret, reviewed as a merge request on the claims repository.`,
      tags: ['platform', 'database', 'postgresql', 'kro'],
      owner,
      type: 'platform-claim',
      pages: [
        {
          title: 'Database',
          required: ['namespace', 'name'],
          fields: {
            namespace: namespaceField('Namespace', 'The team namespace the database runs in.'),
            name: nameField(
              'Name',
              'Name of the database instance (its Service, Secret and volume are named after it).',
              db.maxNameLength,
              db.namePattern,
            ),
            version: formField('version', specField(db, 'version'), {
              title: 'PostgreSQL version',
            }),
            storage: formField('storage', specField(db, 'storage'), { title: 'Storage size' }),
          },
        },
      ],
      steps: [
        renderSkeletonStep({
          id: 'renderClaim',
          name: 'Render the claim',
          targetPath: CLAIM_DIR,
          values: {
            name: '${{ parameters.name }}',
            namespace: '${{ parameters.namespace }}',
            version: '${{ parameters.version }}',
            storage: '${{ parameters.storage }}',
            ...REQUESTED_BY,
          },
        }),
        ...mergeRequestSteps({
          branchName: `claims/${db.plural}/\${{ parameters.namespace }}/\${{ parameters.name }}`,
          title: `${db.kind} \${{ parameters.namespace }}/\${{ parameters.name }}`,
          description: `Creates the PostgreSQL ${parameterText(db, 'version')} database \`\${{ parameters.name }}\` with ${parameterText(db, 'storage')} of storage in the namespace \`\${{ parameters.namespace }}\`, requested by \`${ENVIRONMENT.requester}\` in the developer portal. Credentials land in the Secret \`\${{ parameters.name }}-credentials\`. The pipeline checks the claim against the platform API; merging applies it.`,
          sourcePath: CLAIM_DIR,
          targetPath: claimsDirectory(db),
        }),
      ],
      output: CLAIM_OUTPUT,
      skeleton: {
        [CLAIM_FILE]: claimSkeleton(db, 'postgres-database', [
          { key: 'version', value: 'version', optional: true },
          { key: 'storage', value: 'storage', optional: true },
        ]),
      },
    });

    this.customerGroup = new CustomerGroupTemplate(this, 'CustomerGroup', {
      owner,
      teamNamespace: ns,
    });
    this.newService = new NewServiceTemplate(this, 'NewService', { owner });
    this.all = [this.teamNamespace, this.database, this.customerGroup, this.newService];
  }
}
