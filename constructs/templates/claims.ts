/**
 * What the claim templates share: the claim manifest skeleton generated from the API's kind, the
 * merge-request step on the claims repository, and the output links. Stack-specific values (the
 * claims repository, the GitLab host) come from the scaffolder's default environment
 * (`scaffolder.defaultEnvironment` in backstage-config/app-config.production.yaml), so templates
 * in dist/ are the same for every stack.
 */
import type { OpenApiSchema } from '../openapi';
import type { TemplateStep } from './template';

/** The scaffolder default-environment parameters the templates read. */
export const ENVIRONMENT = {
  /** `<gitlab host>?owner=<platform group>&repo=<claims project>` */
  claimsRepoUrl: '${{ environment.parameters.claimsRepoUrl }}',
  /** The GitLab host, which prefixes the org provider's annotations (`<host>/team-path`). */
  gitlabHost: 'environment.parameters.gitlabHost',
  /** Full path of the customers group. */
  customersGroup: '${{ environment.parameters.customersGroup }}',
  /** The claims project's token for merge requests (api, developer). */
  scaffolderToken: '${{ environment.secrets.GITLAB_SCAFFOLDER_TOKEN }}',
} as const;

/** The kind a claim template renders. */
export interface ClaimKindRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** What a claim template needs to know about the API it targets. */
export interface TargetApi extends ClaimKindRef {
  /** The schema of the API's `spec`. */
  readonly specSchema: OpenApiSchema;
  /** The longest claim name for which every derived name is a valid DNS label. */
  readonly maxNameLength: number;
  /** The pattern claim names must match (DNS-1123 or, when a Service is named after it, DNS-1035). */
  readonly namePattern: string;
}

/** A field of an API's spec schema, or an error naming the template to update. */
export const specField = (api: TargetApi, key: string): OpenApiSchema => {
  const field = api.specSchema.properties?.[key];
  if (field === undefined) {
    throw new Error(`${api.kind} has no spec.${key}: update the template that uses it`);
  }
  return field;
};

/** A spec field of a claim skeleton and how it is written. */
export interface SkeletonField {
  /** Key in `spec` (dotted for nested fields, e.g. `resources.requests.cpu`). */
  readonly key: string;
  /** The `values.*` entry it comes from. */
  readonly value: string;
  /** Leave the field out when the value is empty (an optional list, an unset option). */
  readonly optional?: boolean;
}

/**
 * The claim manifest as a fetch:template skeleton. Every value is written with the `dump` filter
 * (JSON), which is a valid YAML scalar or flow sequence whatever the input: no value can break
 * out of its field, even when a form constraint is missing.
 */
export function claimSkeleton(
  kind: ClaimKindRef,
  templateName: string,
  fields: readonly SkeletonField[],
): string {
  const lines = [
    `apiVersion: ${kind.apiVersion}`,
    `kind: ${kind.kind}`,
    'metadata:',
    '  name: ${{ values.name | dump }}',
    ...(kind.namespaced ? ['  namespace: ${{ values.namespace | dump }}'] : []),
    '  labels:',
    `    platform.example.org/template: ${templateName}`,
    '  annotations:',
    '    platform.example.org/requested-by: ${{ values.requestedBy | dump }}',
    'spec:',
  ];
  for (const f of fields) {
    const line = `  ${f.key}: \${{ values.${f.value} | dump }}`;
    lines.push(
      ...(f.optional === true
        ? [`{% if values.${f.value} and values.${f.value}.length > 0 %}`, line, '{% endif %}']
        : [line]),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The skeleton path of a claim (`<name>.yaml`; the merge request puts it at the claim path). */
export const CLAIM_FILE = '${{ values.name }}.yaml';

/** The claims-repository directory of a kind's claims, as a template expression. */
export function claimsDirectory(kind: ClaimKindRef, namespaceExpression?: string): string {
  return kind.namespaced
    ? `claims/${kind.plural}/\${{ ${namespaceExpression ?? 'parameters.namespace'} }}`
    : `claims/${kind.plural}`;
}

export interface MergeRequestOptions {
  /** Branch name, derived from the claim so a retried run finds its own branch. */
  readonly branchName: string;
  readonly title: string;
  readonly description: string;
  /** Workspace directory with the files, and where they go in the claims repository. */
  readonly sourcePath: string;
  readonly targetPath: string;
}

/**
 * The merge request on the claims repository. `commitAction: create` on purpose: a claim that
 * already exists is never overwritten by a template (the action fails and says so), and a
 * retried run reuses the branch its first run created (the action refuses a second merge
 * request for a branch that has one, and links to it) instead of opening a duplicate.
 */
export function mergeRequestStep(o: MergeRequestOptions): TemplateStep {
  return {
    id: 'openMergeRequest',
    name: 'Open the merge request on the claims repository',
    action: 'publish:gitlab:merge-request',
    input: {
      repoUrl: ENVIRONMENT.claimsRepoUrl,
      token: ENVIRONMENT.scaffolderToken,
      branchName: o.branchName,
      targetBranchName: 'main',
      title: o.title,
      description: o.description,
      sourcePath: o.sourcePath,
      targetPath: o.targetPath,
      commitAction: 'create',
      removeSourceBranch: true,
      labels: ['platform-claim'],
    },
  };
}

/** The link a claim template shows when it is done: its merge request. */
export const CLAIM_OUTPUT: Readonly<Record<string, unknown>> = {
  links: [
    {
      title: 'Merge request',
      icon: 'gitlab',
      url: '${{ steps.openMergeRequest.output.mergeRequestUrl }}',
    },
  ],
};

export interface RenderStepOptions {
  readonly id: string;
  readonly name: string;
  /** Workspace directory the skeleton is rendered into (the merge request's source path). */
  readonly targetPath: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * Renders the template's `./skeleton` with fetch:template. Block tags leave no blank lines or
 * indentation behind, so optional fields (`{% if %}`) keep the YAML intact.
 */
export function renderSkeletonStep(o: RenderStepOptions): TemplateStep {
  return {
    id: o.id,
    name: o.name,
    action: 'fetch:template',
    input: {
      url: './skeleton',
      targetPath: o.targetPath,
      trimBlocks: true,
      lstripBlocks: true,
      values: o.values,
    },
  };
}
