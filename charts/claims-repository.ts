/**
 * The claims repository's generated files: its layout (one file per claim, at a path derived
 * from the claim's kind, namespace and name), the GitLab CI pipeline that validates claims on
 * merge requests and applies them once merged, and the README that explains both. `npm run synth`
 * writes them to dist/claims-repository/ for review; `pulumi up` commits them to the claims
 * project (infra/gitlab/gitlab.ts), so what is reviewed here is what runs there.
 */
import { stringify } from 'yaml';
import type { PlatformCharts } from './platform';
import { versions } from '../versions';

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
  /** Field manager of the pipeline's server-side applies. */
  fieldManager: 'platform-claims',
} as const;

/** The kinds of claims the platform accepts, from the APIs the charts define. */
export function claimKinds(charts: PlatformCharts): ClaimKind[] {
  const { teamNamespace, database } = charts;
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
 * A POSIX shell script that fails, naming the file and the allowed layouts, when a file under
 * `claims/` is not at a claim path. It needs nothing but `sh` and `find`, so it runs before the
 * job touches the cluster.
 */
export function layoutCheckScript(kinds: readonly ClaimKind[]): string {
  const seg = '[a-z0-9]*'; // shell glob; the API server checks the names themselves
  const cases = kinds.map((k) =>
    k.namespaced
      ? `    ${CLAIMS_DIR}/${k.plural}/${seg}/${seg}.yaml) case "\${f#${CLAIMS_DIR}/${k.plural}/*/}" in */*) bad "$f" ;; esac ;;`
      : `    ${CLAIMS_DIR}/${k.plural}/${seg}.yaml) case "\${f#${CLAIMS_DIR}/${k.plural}/}" in */*) bad "$f" ;; esac ;;`,
  );
  const allowed = [...kinds.map(pathPattern), `${GROUPS_DIR}/<path>.json`].join(', ');
  return [
    'status=0',
    `bad() { echo "$1: not a claim path; claims live at ${allowed}" >&2; status=1; }`,
    `for f in $(find ${CLAIMS_DIR} ${GROUPS_DIR} -type f 2>/dev/null | sort); do`,
    '  case "$f" in',
    ...cases,
    `    ${GROUPS_DIR}/${seg}.json) case "\${f#${GROUPS_DIR}/}" in */*) bad "$f" ;; esac ;;`,
    '    *) bad "$f" ;;',
    '  esac',
    'done',
    'test "$status" -eq 0',
  ].join('\n');
}

/**
 * Checks every group request: a Group entity whose name and GitLab path annotation match its file
 * (jq, as the pipeline image has it). Run by merge-request pipelines.
 */
export function groupCheckScript(): string {
  const v = GROUP_JOB_VARIABLES;
  return [
    'status=0',
    `for f in $(find ${GROUPS_DIR} -type f -name '*.json' 2>/dev/null | sort); do`,
    `  path=$(basename "$f" .json)`,
    `  if ! jq -e --arg path "$path" --arg full "$${v.parentPath}/$path" '.apiVersion == "backstage.io/v1alpha1" and .kind == "Group" and (.metadata.name | endswith("-" + $path)) and ([.metadata.annotations[]] | index($full) != null) and (.spec.profile.displayName | type == "string" and length > 0)' "$f" >/dev/null; then`,
    `    echo "$f: not a Group request for $${v.parentPath}/$path (see the customer-group template)" >&2; status=1`,
    '  fi',
    'done',
    'test "$status" -eq 0',
  ].join('\n');
}

/**
 * Creates the GitLab subgroup of every group request that does not exist yet (private, under the
 * customers group), with the token only pipelines of the protected default branch receive.
 * Idempotent: an existing group is left as it is. Any other answer than "exists" (200) or "does
 * not exist" (404) stops the job before it creates anything more, with GitLab's status; a refused
 * creation stops it with GitLab's message.
 */
export function groupCreateScript(): string {
  const v = GROUP_JOB_VARIABLES;
  const auth = `-H "PRIVATE-TOKEN: $${v.token}"`;
  return [
    'set -eu',
    `: "\${${v.token}:?is not set: it is a protected variable, given to pipelines of the default branch only}"`,
    `for f in $(find ${GROUPS_DIR} -type f -name '*.json' 2>/dev/null | sort); do`,
    '  path=$(basename "$f" .json)',
    `  full="$${v.parentPath}/$path"`,
    `  encoded=$(printf %s "$full" | jq -sRr @uri)`,
    `  status=$(curl -sS -o /dev/null -w '%{http_code}' ${auth} "$CI_API_V4_URL/groups/$encoded")`,
    '  case "$status" in',
    '    200) echo "$full exists"; continue ;;',
    '    404) ;;',
    '    *) echo "$full: GitLab answered HTTP $status to GET /groups/$encoded; nothing created" >&2; exit 1 ;;',
    '  esac',
    `  if ! answer=$(curl -sS --fail-with-body -X POST ${auth} "$CI_API_V4_URL/groups" \\`,
    '    --data-urlencode "name=$(jq -r .spec.profile.displayName "$f")" \\',
    '    --data-urlencode "path=$path" \\',
    '    --data-urlencode "description=$(jq -r \'.metadata.description // ""\' "$f")" \\',
    `    --data-urlencode "parent_id=$${v.parentId}" --data-urlencode "visibility=private"); then`,
    '    echo "$full: GitLab refused to create it: $answer" >&2; exit 1',
    '  fi',
    '  echo "$full created"',
    'done',
  ].join('\n');
}

/** Fails the job when there is nothing to apply (kubectl refuses an empty set), else succeeds. */
const HAS_CLAIMS = `[ -n "$(find ${CLAIMS_DIR} -type f -name '*.yaml' 2>/dev/null)" ]`;

/**
 * The claims project's `.gitlab-ci.yml`. Merge request pipelines check the layout and dry-run
 * every claim on the API server (schema, CEL rules and admission policies of the XRDs and RGDs,
 * and the pipeline's RBAC, which only allows claim kinds); pipelines of the default branch apply
 * the claims with server-side apply. The kube context is the claims project's own agent.
 */
export function claimsPipeline(kinds: readonly ClaimKind[]): string {
  const kubectl = (dryRun: boolean): string =>
    [
      `if ${HAS_CLAIMS}; then`,
      `  kubectl apply --server-side --field-manager=${CLAIMS_AGENT.fieldManager}${dryRun ? ' --dry-run=server' : ''} --recursive -f ${CLAIMS_DIR}/`,
      'else',
      `  echo "No claims under ${CLAIMS_DIR}/ yet."`,
      'fi',
    ].join('\n');
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
  '# Generated by the platform repository (charts/claims-repository.ts) and committed by\n' +
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
export function claimsRepositoryFiles(charts: PlatformCharts): Record<string, string> {
  const kinds = claimKinds(charts);
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
