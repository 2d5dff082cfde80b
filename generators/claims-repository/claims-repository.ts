/**
 * The claims repository's generated files: its layout (one file per claim, at a path derived
 * from the claim's kind, namespace and name), the GitLab CI pipeline that validates claims on
 * merge requests and applies them once merged, and the README that explains both. `npm run synth`
 * writes them to dist/claims-repository/ for review; `pulumi up` commits them to the claims
 * project (infra/gitlab/gitlab.ts), so what is reviewed here is what runs there.
 */
import { stringify } from 'yaml';
import { pipelineScript } from './scripts';
import type { PlatformApis } from '../platform-apis';
import { versions } from '../../versions';

/** A kind of claim: one platform API that teams request through the claims repository. */
export interface ClaimKind {
  readonly apiVersion: string;
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** What the API provides, for the README. */
  readonly description: string;
}

/** The directory every claim lives under. */
export const CLAIMS_DIR = 'claims';

/**
 * Requests for customer groups: Backstage Group entities (JSON) that the pipeline creates the
 * GitLab subgroups of, under the customers group, once merged.
 */
export const GROUPS_DIR = 'groups';

/** The CI/CD variables the stack sets on the claims project for the `groups` job. */
export const GROUP_JOB_VARIABLES = {
  /** A group access token of the customers group (api, owner); protected and masked. */
  token: 'CUSTOMER_GROUPS_TOKEN',
  /** Numeric id and full path of the customers group. */
  parentId: 'CUSTOMERS_GROUP_ID',
  parentPath: 'CUSTOMERS_GROUP_PATH',
} as const;

/** The GitLab agent for Kubernetes that the claims pipeline reaches the cluster through. */
export const CLAIMS_AGENT = {
  /** Agent name: its configuration is `.gitlab/agents/<name>/config.yaml` in the claims project. */
  name: 'platform-claims',
  /** Field manager of the pipeline's server-side applies (written out in apply-claims.sh). */
  fieldManager: 'platform-claims',
} as const;

/** The kinds of claims the platform accepts, from the APIs the charts define. */
export function claimKinds(apis: PlatformApis): ClaimKind[] {
  const { teamNamespace, database } = apis;
  return [
    {
      apiVersion: teamNamespace.api.apiVersion,
      group: teamNamespace.api.group,
      kind: teamNamespace.api.kind,
      plural: teamNamespace.api.plural,
      namespaced: false,
      description: 'a namespace for a team, with quota, limits, network isolation and RBAC',
    },
    {
      apiVersion: database.api.apiVersion,
      group: database.api.group,
      kind: database.api.kind,
      plural: database.api.plural,
      namespaced: true,
      description: 'a PostgreSQL database in a team namespace, with its credentials Secret',
    },
  ];
}

/** Where a claim lives in the claims repository. */
export function claimPath(kind: ClaimKind, name: string, namespace?: string): string {
  if (kind.namespaced !== (namespace !== undefined)) {
    throw new Error(
      `claimPath: ${kind.kind} is ${kind.namespaced ? 'namespaced: give a namespace' : 'cluster-scoped: give no namespace'}`,
    );
  }
  return [
    CLAIMS_DIR,
    kind.plural,
    ...(namespace !== undefined ? [namespace] : []),
    `${name}.yaml`,
  ].join('/');
}

/** The path pattern of a kind's claims, as the README and the layout check show it. */
function pathPattern(kind: ClaimKind): string {
  return kind.namespaced
    ? `${CLAIMS_DIR}/${kind.plural}/<namespace>/<name>.yaml`
    : `${CLAIMS_DIR}/${kind.plural}/<name>.yaml`;
}

/**
 * The layout check (layout-check.sh): fails, naming the file and the allowed layouts, when a file
 * under `claims/` or `groups/` is not at a claim path of one of `kinds`. It needs nothing but `sh`
 * and `find`, so it runs before the job touches the cluster.
 */
export function layoutCheckScript(kinds: readonly ClaimKind[]): string {
  const seg = '[a-z0-9]*'; // shell glob; the API server checks the names themselves
  const arms = kinds.map((k) =>
    k.namespaced
      ? `${CLAIMS_DIR}/${k.plural}/${seg}/${seg}.yaml) case "\${f#${CLAIMS_DIR}/${k.plural}/*/}" in */*) bad "$f" ;; esac ;;`
      : `${CLAIMS_DIR}/${k.plural}/${seg}.yaml) case "\${f#${CLAIMS_DIR}/${k.plural}/}" in */*) bad "$f" ;; esac ;;`,
  );
  return pipelineScript('layout-check', {
    CLAIM_PATHS: kinds.map(pathPattern).join(', '),
    CLAIM_KINDS: arms.join('\n'),
  });
}

/**
 * Checks every group request (group-check.sh): a Group entity whose name and GitLab path
 * annotation match its file (jq, as the pipeline image has it). Run by merge-request pipelines.
 */
export function groupCheckScript(): string {
  return pipelineScript('group-check');
}

/**
 * Creates the GitLab subgroup of every group request that does not exist yet (group-create.sh),
 * with the token only pipelines of the protected default branch receive.
 */
export function groupCreateScript(): string {
  return pipelineScript('group-create');
}

/**
 * The claims project's `.gitlab-ci.yml`. Merge request pipelines check the layout and dry-run
 * every claim on the API server (schema, CEL rules and admission policies of the XRDs and RGDs,
 * and the pipeline's RBAC, which only allows claim kinds); pipelines of the default branch apply
 * the claims with server-side apply. The kube context is the claims project's own agent.
 */
export function claimsPipeline(kinds: readonly ClaimKind[]): string {
  const kubectl = (dryRun: boolean): string =>
    pipelineScript('apply-claims', { DRY_RUN: dryRun ? ' --dry-run=server' : '' });
  const pipeline = {
    workflow: {
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"' },
      ],
    },
    stages: ['validate', 'apply'],
    variables: {
      KUBE_CONTEXT: `$CI_PROJECT_PATH:${CLAIMS_AGENT.name}`,
    },
    default: {
      image: { name: versions.claimsPipeline.kubectlImage, entrypoint: [''] },
    },
    layout: {
      stage: 'validate',
      interruptible: true,
      script: [layoutCheckScript(kinds), groupCheckScript()],
    },
    'dry-run': {
      stage: 'validate',
      interruptible: true,
      needs: ['layout'],
      script: ['kubectl config use-context "$KUBE_CONTEXT"', kubectl(true)],
    },
    // Customer groups first: the namespaces claimed for them name them as owners.
    groups: {
      stage: 'apply',
      rules: [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }],
      needs: ['dry-run'],
      resource_group: 'platform-groups',
      interruptible: false,
      script: [groupCreateScript()],
    },
    apply: {
      stage: 'apply',
      rules: [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }],
      needs: ['groups'],
      // One apply at a time, in merge order; a deployment is never cancelled half-way.
      resource_group: 'platform-claims',
      interruptible: false,
      environment: { name: 'platform', action: 'start' },
      script: ['kubectl config use-context "$KUBE_CONTEXT"', kubectl(false)],
    },
  };
  return `${HEADER}${stringify(pipeline, { lineWidth: 0 })}`;
}

const HEADER =
  '# Generated by the platform repository (generators/claims-repository/) and committed by\n' +
  '# `pulumi up`: change it there, not here.\n';

/** The claims project's README: what a claim is, where it goes, and what happens to it. */
export function claimsReadme(kinds: readonly ClaimKind[]): string {
  const rows = kinds.map(
    (k) => `| \`${k.kind}\` (\`${k.apiVersion}\`) | \`${pathPattern(k)}\` | ${k.description} |`,
  );
  return [
    '# Claims',
    '',
    'Requests for platform resources. Each file is one claim: a Kubernetes object of a platform API,',
    'usually opened as a merge request by a template of the developer portal.',
    '',
    '| Kind | Path | What it provides |',
    '| --- | --- | --- |',
    ...rows,
    `| \`Group\` (\`backstage.io/v1alpha1\`, JSON) | \`${GROUPS_DIR}/<path>.json\` | a GitLab subgroup of the customers group, created by the pipeline |`,
    '',
    '## What happens to a merge request',
    '',
    '1. `layout` checks that every file is at a claim path, and that every group request is a Group',
    '   entity for a subgroup of the customers group.',
    `2. \`dry-run\` sends every claim to the cluster with \`--dry-run=server\` through the GitLab agent \`${CLAIMS_AGENT.name}\`:`,
    '   the API server validates it against the platform API (schema, rules, admission policies), and the',
    '   pipeline may only create and update claim kinds, nothing else.',
    '3. A maintainer merges once the pipeline is green (the project allows nothing else).',
    '4. On the default branch, `groups` creates the GitLab subgroups requested under `groups/` that do',
    '   not exist yet, then `apply` applies every claim with server-side apply.',
    '',
    'Deleting a file does not delete the resource: claims are deletion-protected; see the platform',
    "repository's README for how to retire one.",
    '',
    '`.gitlab-ci.yml`, this README and `.gitlab/agents/` are generated by the platform repository and',
    'committed by `pulumi up`; change them there.',
    '',
  ].join('\n');
}

/** Every generated file of the claims repository that does not depend on the stack, by path. */
export function claimsRepositoryFiles(apis: PlatformApis): Record<string, string> {
  const kinds = claimKinds(apis);
  return { '.gitlab-ci.yml': claimsPipeline(kinds), 'README.md': claimsReadme(kinds) };
}

/**
 * The agent's configuration file (`.gitlab/agents/<name>/config.yaml` in the claims project):
 * CI jobs of the claims project may use the agent, and it acts as the CI job (impersonation), so
 * what a job may do is decided by Kubernetes RBAC bound to the claims project's group.
 */
export function agentConfig(claimsProjectPath: string): { path: string; content: string } {
  const config = {
    ci_access: { projects: [{ id: claimsProjectPath, access_as: { ci_job: {} } }] },
  };
  return {
    path: `.gitlab/agents/${CLAIMS_AGENT.name}/config.yaml`,
    content: `${HEADER}${stringify(config)}`,
  };
}
