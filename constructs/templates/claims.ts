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
  /** Who ran the template, for texts: a run by a service token has no user. */
  requester: '${{ user.ref | default("a service, without a signed-in user") }}',
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

/**
 * `${{ parameters.<key> }}` for text (a merge request's description), with the API's default
 * when the field was not sent (only the portal's UI fills in form defaults).
 */
export function parameterText(api: TargetApi, key: string): string {
  const fallback = specField(api, key).default;
  return fallback === undefined
    ? `\${{ parameters.${key} }}`
    : `\${{ parameters.${key} | default(${JSON.stringify(typeof fallback === 'string' ? fallback : JSON.stringify(fallback))}) }}`;
}

/** A spec field of a claim skeleton and how it is written. */
export interface SkeletonField {
  /** Key in `spec` (dotted for nested fields, e.g. `resources.requests.cpu`). */
  readonly key: string;
  /** The `values.*` entry it comes from. */
  readonly value: string;
  /** Leave the field out when the value is missing or empty (an optional field of the form). */
  readonly optional?: boolean;
}

/**
 * The claim manifest as a fetch:template skeleton. Every value is written with the `dump` filter
 * (JSON), which is a valid YAML scalar or flow sequence whatever the input: no value can break
 * out of its field, even when a form constraint is missing. Optional fields are left out when
 * their value is missing or empty (a form field left empty, or not sent at all: only the portal's
 * UI fills in form defaults), so that the API's own default applies; the requester annotation is
 * left out for runs without a signed-in user (a dry-run with a service token).
 */
export function claimSkeleton(
  kind: ClaimKindRef,
  templateName: string,
  fields: readonly SkeletonField[],
): string {
  const ifSet = (value: string, lines: readonly string[]): string[] => [
    `{% if values.${value} and values.${value}.length > 0 %}`,
    ...lines,
    '{% endif %}',
  ];
  const lines = [
    `apiVersion: ${kind.apiVersion}`,
    `kind: ${kind.kind}`,
    'metadata:',
    '  name: ${{ values.name | dump }}',
    ...(kind.namespaced ? ['  namespace: ${{ values.namespace | dump }}'] : []),
    '  labels:',
    `    platform.example.org/template: ${templateName}`,
    ...ifSet('requestedBy', [
      '  annotations:',
      '    platform.example.org/requested-by: ${{ values.requestedBy | dump }}',
    ]),
    'spec:',
  ];
  for (const f of fields) {
    const line = `  ${f.key}: \${{ values.${f.value} | dump }}`;
    lines.push(...(f.optional === true ? ifSet(f.value, [line]) : [line]));
  }
  if (fields.every((f) => f.optional === true)) {
    // Every field left out: `spec: {}` (an empty `spec:` would be null, which no API accepts).
    const anySet = fields.map((f) => `(values.${f.value} and values.${f.value}.length > 0)`);
    lines.push(`{% if not (${anySet.join(' or ')}) %}`, '  {}', '{% endif %}');
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
  /** Branch name, derived from the claim so that a second run for it finds the first one's. */
  readonly branchName: string;
  readonly title: string;
  readonly description: string;
  /** Workspace directory with the files, and where they go in the claims repository. */
  readonly sourcePath: string;
  readonly targetPath: string;
}

/** The id of the portal's check before a merge request (backstage-config/backend/src/). */
export const CLAIM_CHECK_ACTION = 'platform:claims:check-new';

/**
 * The merge request on the claims repository, and the check before it. `commitAction: create`
 * on purpose: a template never overwrites an existing claim. publish:gitlab:merge-request (GitLab
 * module 0.12.0) creates the branch before it commits, so a claim already on main would fail the
 * commit after the branch exists and leave that branch behind, and it refuses any existing
 * branch (with or without a merge request), even on the scaffolder's retry of the same task. The
 * check step reads the claims repository first and stops, before anything is written, naming the
 * claim on main, the open merge request, or the branch left by a failed run.
 */
export function mergeRequestSteps(o: MergeRequestOptions): TemplateStep[] {
  const where = {
    repoUrl: ENVIRONMENT.claimsRepoUrl,
    branchName: o.branchName,
    targetBranchName: 'main',
    sourcePath: o.sourcePath,
    targetPath: o.targetPath,
  };
  return [
    {
      id: 'checkClaimIsNew',
      name: 'Check that the claim and its branch do not exist yet',
      action: CLAIM_CHECK_ACTION,
      input: where,
    },
    {
      id: 'openMergeRequest',
      name: 'Open the merge request on the claims repository',
      action: 'publish:gitlab:merge-request',
      input: {
        ...where,
        token: ENVIRONMENT.scaffolderToken,
        title: o.title,
        description: o.description,
        commitAction: 'create',
        removeSourceBranch: true,
        labels: ['platform-claim'],
      },
    },
  ];
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
