/**
 * The new-service template (the seed's "catalog template"): a new GitLab project from a skeleton
 * with its catalog-info.yaml, TechDocs and CI pipeline, registered in the catalog. The project
 * is created with the signed-in user's own GitLab token (RepoUrlPicker's requestUserCredentials):
 * the user can only create projects where GitLab lets them, and the project's history says who.
 */
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { DNS1123_LABEL_MAX_LENGTH } from '../names';
import { entityRefField, nameField, namespaceField } from './form';
import { SoftwareTemplate } from './template';
import { TECHDOCS_THEME } from '../techdocs';

/** The entity annotations the portal's plugins read. */
export const SERVICE_ANNOTATIONS = {
  /** GitLab CI/CD view (and the catalog's link to the project). */
  gitlabProjectSlug: 'gitlab.com/project-slug',
  /** Which GitLab instance (integration host) the project is on; GitLab.com without it. */
  gitlabInstance: 'gitlab.com/instance',
  /** TechDocs: docs are built from this repository by its own pipeline. */
  techdocsRef: 'backstage.io/techdocs-ref',
  /** Kubernetes view: workloads labelled `backstage.io/kubernetes-id: <name>`. */
  kubernetesId: 'backstage.io/kubernetes-id',
  kubernetesNamespace: 'backstage.io/kubernetes-namespace',
} as const;

/** Tool versions the skeleton's pipeline pins. */
export const SKELETON_TOOLS = {
  techdocsCli: '1.8.15',
  mkdocsTechdocsCore: '1.5.4',
  nodeImage: 'docker.io/library/node:20.20.2-bookworm',
  kanikoImage: 'gcr.io/kaniko-project/executor:v1.23.2-debug',
  hadolintImage: 'docker.io/hadolint/hadolint:v2.12.0-debian',
  baseImage: 'docker.io/nginxinc/nginx-unprivileged:1.29.3-alpine',
} as const;

const USER_TOKEN = 'USER_OAUTH_TOKEN';

/** The portal's catalog checks (backstage-config/backend/src/catalog-actions.ts). */
const REQUIRE_ENTITY_ACTION = 'platform:catalog:require';
const ENTITY_ABSENT_ACTION = 'platform:catalog:absent';

function catalogInfo(): string {
  return [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: ${{ values.name | dump }}',
    '  description: ${{ values.description | dump }}',
    '  annotations:',
    `    ${SERVICE_ANNOTATIONS.gitlabProjectSlug}: \${{ values.projectSlug | dump }}`,
    `    ${SERVICE_ANNOTATIONS.gitlabInstance}: \${{ values.gitlabHost | dump }}`,
    `    ${SERVICE_ANNOTATIONS.techdocsRef}: dir:.`,
    `    ${SERVICE_ANNOTATIONS.kubernetesId}: \${{ values.name | dump }}`,
    `    ${SERVICE_ANNOTATIONS.kubernetesNamespace}: \${{ values.namespace | dump }}`,
    'spec:',
    '  type: service',
    '  lifecycle: ${{ values.lifecycle | dump }}',
    '  owner: ${{ values.owner | dump }}',
    // Optional in the form (and in the catalog's Component schema).
    '{% if values.system %}',
    '  system: ${{ values.system | dump }}',
    '{% endif %}',
    '',
  ].join('\n');
}

function mkdocs(): string {
  return [
    'site_name: ${{ values.name | dump }}',
    'site_description: ${{ values.description | dump }}',
    'nav:',
    '  - Home: index.md',
    'plugins:',
    '  - techdocs-core',
    ...stringify({ theme: TECHDOCS_THEME }).trimEnd().split('\n'),
    '',
  ].join('\n');
}

function gitlabCi(): string {
  const pipeline = {
    stages: ['test', 'build', 'docs'],
    workflow: {
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' },
      ],
    },
    'lint-dockerfile': {
      stage: 'test',
      image: SKELETON_TOOLS.hadolintImage,
      script: ['hadolint Dockerfile'],
    },
    'build-image': {
      stage: 'build',
      image: { name: SKELETON_TOOLS.kanikoImage, entrypoint: [''] },
      script: [
        [
          '/kaniko/executor --context "$CI_PROJECT_DIR" --dockerfile "$CI_PROJECT_DIR/Dockerfile"',
          '--destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"',
          '$([ "$CI_COMMIT_BRANCH" = "$CI_DEFAULT_BRANCH" ] || echo --no-push)',
        ].join(' '),
      ],
    },
    // With a TechDocs bucket (TECHDOCS_S3_BUCKET_NAME and AWS_* credentials set on the group by
    // the platform team), docs are built here and published to it; without one, the portal
    // builds them itself.
    techdocs: {
      stage: 'docs',
      image: SKELETON_TOOLS.nodeImage,
      rules: [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $TECHDOCS_S3_BUCKET_NAME' }],
      script: [
        'apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null',
        'python3 -m venv /tmp/mkdocs',
        `/tmp/mkdocs/bin/pip install -q mkdocs-techdocs-core==${SKELETON_TOOLS.mkdocsTechdocsCore}`,
        'export PATH="/tmp/mkdocs/bin:$PATH"',
        `npx --yes @techdocs/cli@${SKELETON_TOOLS.techdocsCli} generate --no-docker --source-dir . --output-dir site`,
        `npx --yes @techdocs/cli@${SKELETON_TOOLS.techdocsCli} publish --publisher-type awsS3 --storage-name "$TECHDOCS_S3_BUCKET_NAME" --entity "default/Component/\${{ values.name }}" --directory site`,
      ],
    },
  };
  return `# The pipeline of \${{ values.name }}: lint, build the image, publish the docs to the portal.\n${stringify(pipeline, { lineWidth: 0 })}`;
}

function dockerfile(): string {
  return [
    `FROM ${SKELETON_TOOLS.baseImage}`,
    'COPY --chown=101:101 public/ /usr/share/nginx/html/',
    'USER 101',
    'EXPOSE 8080',
    '',
  ].join('\n');
}

export class NewServiceTemplate extends SoftwareTemplate {
  constructor(scope: Construct, id: string, props: { owner: string }) {
    super(scope, id, {
      name: 'new-service',
      title: 'New service',
      description:
        'Create a GitLab project for a new service with its catalog entry, TechDocs and CI pipeline, and register it in the catalog.',
      tags: ['service', 'gitlab', 'techdocs'],
      owner: props.owner,
      type: 'service',
      pages: [
        {
          title: 'Service',
          required: ['name', 'description', 'owner', 'lifecycle', 'namespace'],
          fields: {
            name: nameField(
              'Name',
              'Name of the service: its GitLab project path, catalog entity and Kubernetes id.',
              DNS1123_LABEL_MAX_LENGTH,
            ),
            description: {
              title: 'Description',
              description: 'One line about what the service does.',
              type: 'string',
              minLength: 1,
              maxLength: 200,
              pattern: '^[^\\r\\n]*$',
            },
            owner: entityRefField('Group', {
              title: 'Owner',
              description: 'The team that owns the service.',
              'ui:field': 'OwnerPicker',
            }),
            system: entityRefField('System', {
              title: 'System',
              description: 'The system the service belongs to (optional).',
              default: 'system:default/platform',
              'ui:field': 'EntityPicker',
            }),
            lifecycle: {
              title: 'Lifecycle',
              type: 'string',
              enum: ['experimental', 'production', 'deprecated'],
              default: 'experimental',
            },
            namespace: namespaceField(
              'Kubernetes namespace',
              'The team namespace the service runs in (the portal shows its workloads there).',
            ),
          },
        },
        {
          title: 'Repository',
          required: ['repoUrl'],
          fields: {
            repoUrl: {
              title: 'GitLab project',
              description:
                "The group to create the project in, and the project's path in it (the service's name keeps them alike).",
              type: 'string',
              'ui:field': 'RepoUrlPicker',
              'ui:options': {
                // Created as the signed-in user: GitLab decides where they may create projects.
                requestUserCredentials: {
                  secretsKey: USER_TOKEN,
                  additionalScopes: { gitlab: ['api'] },
                },
              },
            },
          },
        },
      ],
      steps: [
        // Everything the project and its catalog entry depend on is checked before the first
        // step that writes (publish:gitlab creates the project): nothing is half-applied.
        {
          id: 'checkName',
          name: 'Check that no component has the name yet',
          action: ENTITY_ABSENT_ACTION,
          input: { entityRef: 'component:default/${{ parameters.name }}', field: 'name' },
        },
        {
          id: 'checkOwner',
          name: 'Check the owner',
          action: REQUIRE_ENTITY_ACTION,
          input: { entityRef: '${{ parameters.owner }}', kind: 'Group', field: 'owner' },
        },
        {
          id: 'checkSystem',
          name: 'Check the system',
          action: REQUIRE_ENTITY_ACTION,
          if: '${{ parameters.system }}',
          input: { entityRef: '${{ parameters.system }}', kind: 'System', field: 'system' },
        },
        {
          id: 'renderService',
          name: 'Render the service skeleton',
          action: 'fetch:template',
          input: {
            url: './skeleton',
            trimBlocks: true,
            lstripBlocks: true,
            values: {
              name: '${{ parameters.name }}',
              description: '${{ parameters.description }}',
              owner: '${{ parameters.owner }}',
              system: '${{ parameters.system }}',
              lifecycle: '${{ parameters.lifecycle }}',
              namespace: '${{ parameters.namespace }}',
              projectSlug:
                "${{ (parameters.repoUrl | parseRepoUrl).owner + '/' + (parameters.repoUrl | parseRepoUrl).repo }}",
              gitlabHost: '${{ (parameters.repoUrl | parseRepoUrl).host }}',
            },
          },
        },
        {
          id: 'publishRepository',
          name: 'Create the GitLab project',
          action: 'publish:gitlab',
          input: {
            repoUrl: '${{ parameters.repoUrl }}',
            token: `\${{ secrets.${USER_TOKEN} }}`,
            repoVisibility: 'private',
            defaultBranch: 'main',
            gitCommitMessage: 'Create ${{ parameters.name }} from the new-service template',
          },
        },
        {
          id: 'registerComponent',
          name: 'Register the service in the catalog',
          action: 'catalog:register',
          input: {
            repoContentsUrl: '${{ steps.publishRepository.output.repoContentsUrl }}',
            catalogInfoPath: '/catalog-info.yaml',
          },
        },
      ],
      output: {
        links: [
          {
            title: 'Repository',
            icon: 'gitlab',
            url: '${{ steps.publishRepository.output.remoteUrl }}',
          },
          {
            title: 'Open in catalog',
            icon: 'catalog',
            entityRef: '${{ steps.registerComponent.output.entityRef }}',
          },
        ],
      },
      skeleton: {
        'catalog-info.yaml': catalogInfo(),
        'mkdocs.yml': mkdocs(),
        'docs/index.md':
          '# ${{ values.name }}\n\n${{ values.description }}\n\nOwned by `${{ values.owner }}`.\n',
        '.gitlab-ci.yml': gitlabCi(),
        Dockerfile: dockerfile(),
        'public/index.html':
          '<!doctype html>\n<title>${{ values.name }}</title>\n<p>${{ values.name }} is running.</p>\n',
      },
    });
  }
}
