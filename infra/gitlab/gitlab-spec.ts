/**
 * What the GitLab side of the platform declares, computed from typed arguments: the group tree,
 * the claims project with its committed files, agent and CI/CD variables (the portal's tokens,
 * OAuth application and Secrets are in portal-access.ts). Pure (the Pulumi SDK only as types):
 * GitlabPlatform (gitlab.ts) declares one resource per value here, filling in what only the
 * resources know (ids, tokens) as `refs`, and the unit tests read the values without running a
 * program.
 */
import type * as pulumi from '@pulumi/pulumi';
import {
  agentConfig,
  CLAIMS_AGENT,
  GROUP_JOB_VARIABLES,
} from '../../generators/claims-repository/claims-repository';
import type {
  AccessLevel,
  ApplicationScope,
  ClusterAgentArgs,
  ClusterAgentTokenArgs,
  GroupArgs,
  GroupMembershipArgs,
  ProjectArgs,
  ProjectVariableArgs,
  RepositoryFileArgs,
  Visibility,
} from './resources';

type In<T> = pulumi.Input<T>;

export interface CustomerGroup {
  /** Path segment under the customers group. */
  readonly path: string;
  readonly name: string;
  readonly visibility: Visibility;
  readonly members: readonly { readonly userId: number; readonly accessLevel: AccessLevel }[];
}

/** Everything GitlabPlatform declares that the stack's configuration decides. */
export interface GitlabSettings {
  /** GitLab base URL, https, without trailing slash. */
  readonly gitlabUrl: string;
  /** Full paths: a top-level platform group and two of its direct subgroups. */
  readonly groups: {
    readonly platform: string;
    readonly platformTeam: string;
    readonly customers: string;
  };
  readonly customerGroups: readonly CustomerGroup[];
  /** Host of the portal; the OAuth redirect URL is derived from it. */
  readonly backstageHost: string;
  /** Scopes of the portal's OAuth application: its sign-in's and its templates'. */
  readonly signInScopes: readonly ApplicationScope[];
  /** Path of the claims repository in the platform group. */
  readonly claimsProject: string;
  /** The claims repository's generated files (generators/claims-repository/), by path. */
  readonly claimsFiles: Readonly<Record<string, string>>;
}

const title = (path: string): string =>
  path
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
const lastSegment = (path: string): string => path.split('/').pop() ?? path;

/** The GitLab provider's API base URL for an instance. */
export function apiBaseUrl(gitlabUrl: string): string {
  return `${gitlabUrl}/api/v4/`;
}

/** Settings every group of the platform tree shares: private, nobody asks for access. */
const RESTRICTED = {
  visibilityLevel: 'private',
  requestAccessEnabled: false,
  projectCreationLevel: 'maintainer',
  subgroupCreationLevel: 'owner',
  preventForkingOutsideGroup: true,
} as const;

/**
 * Every project of the platform group (the claims repository first) gets a default branch that
 * only maintainers push to and merge into (GitLab's "Protected" preset): the portal's bot and
 * developers change it by merge request only. Pulumi, an administrator, commits the generated
 * pipeline files; "no one" would lock it out too.
 */
export const PROTECTED_DEFAULT_BRANCH = {
  allowedToPushes: ['maintainer'],
  allowedToMerges: ['maintainer'],
  allowForcePush: false,
  developerCanInitialPush: false,
} as const;

/** A group and the part of its arguments only its parent knows (the parent's id). */
export type SubgroupArgs = Omit<GroupArgs, 'parentId'>;

export interface CustomerGroupSpec {
  /** Resource name suffix: `<component>-customer-<path>`. */
  readonly id: string;
  /** Its path under the customers group (its key in the component's group paths). */
  readonly path: string;
  readonly args: SubgroupArgs;
  readonly members: readonly {
    readonly id: string;
    readonly args: Omit<GroupMembershipArgs, 'groupId'>;
  }[];
}

/** The group tree: the platform group, its two subgroups, and the customer groups. */
export function groupTree(
  groups: GitlabSettings['groups'],
  customerGroups: readonly CustomerGroup[],
): {
  readonly platform: GroupArgs;
  readonly platformTeam: SubgroupArgs;
  readonly customers: SubgroupArgs;
  readonly customerGroups: readonly CustomerGroupSpec[];
} {
  const subgroup = (path: string, description: string): SubgroupArgs => ({
    path: lastSegment(path),
    name: title(lastSegment(path)),
    description,
    ...RESTRICTED,
  });
  return {
    platform: {
      path: groups.platform,
      name: title(groups.platform),
      description: 'The internal developer platform',
      defaultBranchProtectionDefaults: {
        ...PROTECTED_DEFAULT_BRANCH,
        allowedToPushes: [...PROTECTED_DEFAULT_BRANCH.allowedToPushes],
        allowedToMerges: [...PROTECTED_DEFAULT_BRANCH.allowedToMerges],
      },
      ...RESTRICTED,
    },
    platformTeam: subgroup(groups.platformTeam, 'The platform team: owners of the platform'),
    customers: subgroup(groups.customers, 'Teams that use the platform'),
    customerGroups: customerGroups.map((group) => ({
      id: `customer-${group.path}`,
      path: group.path,
      args: {
        path: group.path,
        name: group.name,
        visibilityLevel: group.visibility,
        requestAccessEnabled: false,
        preventForkingOutsideGroup: true,
      },
      members: group.members.map((member) => ({
        id: `customer-${group.path}-member-${member.userId}`,
        args: { userId: member.userId, accessLevel: member.accessLevel },
      })),
    })),
  };
}

/**
 * Where the portal's templates open merge requests with claims; a claim lands only when its
 * pipeline (which validates it) succeeds and a maintainer merges it. In the platform group.
 */
export function claimsProject(path: string): Omit<ProjectArgs, 'namespaceId'> {
  return {
    name: 'Claims',
    path,
    description:
      'Requests for platform resources (team namespaces, databases), reviewed as merge requests',
    visibilityLevel: 'private',
    defaultBranch: 'main',
    initializeWithReadme: true,
    onlyAllowMergeIfPipelineSucceeds: true,
    allowMergeOnSkippedPipeline: false,
    onlyAllowMergeIfAllDiscussionsAreResolved: true,
    mergeMethod: 'merge',
    squashOption: 'default_on',
    removeSourceBranchAfterMerge: true,
    // The history of claims is the platform's audit log: never delete it.
    archiveOnDestroy: true,
  };
}

/** The full path of the claims project. */
export function claimsProjectPath(
  settings: Pick<GitlabSettings, 'groups' | 'claimsProject'>,
): string {
  return `${settings.groups.platform}/${settings.claimsProject}`;
}

/**
 * The files committed to the claims project, sorted by path: the generated pipeline and README,
 * and the configuration of the agent its pipeline reaches the cluster through.
 */
export function claimsRepositoryFiles(
  settings: Pick<GitlabSettings, 'groups' | 'claimsProject' | 'claimsFiles'>,
): { readonly id: string; readonly args: Omit<RepositoryFileArgs, 'project'> }[] {
  const agentFile = agentConfig(claimsProjectPath(settings));
  const files = { ...settings.claimsFiles, [agentFile.path]: agentFile.content };
  return Object.keys(files)
    .sort()
    .map((filePath) => ({
      id: `claims-file-${filePath.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`,
      args: {
        branch: 'main',
        filePath,
        content: files[filePath],
        encoding: 'text',
        // The project starts with a README; ours replaces it.
        overwriteOnCreate: true,
        commitMessage: `Update ${filePath} (generated by the platform repository)`,
      },
    }));
}

/** The claims project's GitLab agent and its token for the in-cluster agent. */
export const CLAIMS_AGENT_SPEC: {
  readonly agent: Omit<ClusterAgentArgs, 'project'>;
  readonly token: Omit<ClusterAgentTokenArgs, 'project' | 'agentId'>;
} = {
  agent: { name: CLAIMS_AGENT.name },
  token: {
    name: `${CLAIMS_AGENT.name}-in-cluster`,
    description: 'The in-cluster agent (installed by the platform stack)',
  },
};

/**
 * The claims project's CI/CD variables for the `groups` job: protected (only pipelines of the
 * protected default branch get them), the token masked.
 */
export function claimsVariables(refs: {
  /** The claims-groups token. */
  readonly token: In<string>;
  /** The customers group's numeric id. */
  readonly parentId: In<string>;
  /** The customers group's full path. */
  readonly parentPath: string;
}): { readonly id: string; readonly args: Omit<ProjectVariableArgs, 'project'> }[] {
  const variables: [string, In<string>, boolean][] = [
    [GROUP_JOB_VARIABLES.token, refs.token, true],
    [GROUP_JOB_VARIABLES.parentId, refs.parentId, false],
    [GROUP_JOB_VARIABLES.parentPath, refs.parentPath, false],
  ];
  return variables.map(([key, value, secret]) => ({
    id: `claims-variable-${key.toLowerCase().replaceAll('_', '-')}`,
    args: { key, value, protected: true, masked: secret, raw: true },
  }));
}
