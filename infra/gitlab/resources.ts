/**
 * The GitLab resources we manage, declared with the official pulumi-gitlab provider's own type
 * tokens and its pinned plugin version: `@pulumi/gitlab` is not served by our registry, so these
 * small typed classes stand in for it, and the Pulumi engine loads the official plugin on
 * `pulumi up`. Inputs use the provider's wire names and values (`read_api`, not `readApi`); a test
 * checks every input we send against the provider schema (its snapshot in upstream/).
 */
import * as pulumi from '@pulumi/pulumi';
import { versions } from '../../versions';

type In<T> = pulumi.Input<T>;

/** The provider plugin version, on every GitLab resource (and the provider itself). */
function pinned<T extends pulumi.ResourceOptions>(opts: T | undefined): T {
  return { ...(opts ?? ({} as T)), version: versions.pulumiGitlab };
}

/**
 * The type token of every pulumi-gitlab resource this layer declares, by resource: `npm run
 * import` keeps exactly these in the provider schema snapshot the tests check inputs against.
 */
export const GITLAB_RESOURCE_TYPES = {
  group: 'gitlab:index/group:Group',
  groupMembership: 'gitlab:index/groupMembership:GroupMembership',
  application: 'gitlab:index/application:Application',
  groupAccessToken: 'gitlab:index/groupAccessToken:GroupAccessToken',
  project: 'gitlab:index/project:Project',
  projectAccessToken: 'gitlab:index/projectAccessToken:ProjectAccessToken',
  repositoryFile: 'gitlab:index/repositoryFile:RepositoryFile',
  clusterAgent: 'gitlab:index/clusterAgent:ClusterAgent',
  clusterAgentToken: 'gitlab:index/clusterAgentToken:ClusterAgentToken',
  projectVariable: 'gitlab:index/projectVariable:ProjectVariable',
  groupHook: 'gitlab:index/groupHook:GroupHook',
} as const;

export type Visibility = 'private' | 'internal' | 'public';
export type AccessLevel = 'guest' | 'planner' | 'reporter' | 'developer' | 'maintainer' | 'owner';
/** Scopes an OAuth application may request (wire form). */
export type ApplicationScope =
  'api' | 'read_api' | 'read_user' | 'read_repository' | 'openid' | 'profile' | 'email';
/** Scopes a group or project access token may carry (wire form). */
export type TokenScope =
  'api' | 'read_api' | 'read_repository' | 'write_repository' | 'read_registry';

/** Rotated by `pulumi up` `rotateBeforeDays` before it expires, to a new `expirationDays`. */
export interface RotationConfiguration {
  readonly expirationDays: In<number>;
  readonly rotateBeforeDays: In<number>;
}

export interface GitlabProviderArgs {
  /** API base URL, ending in `/api/v4/`. */
  readonly baseUrl: In<string>;
  /** Token of an administrator; always stored as a secret. */
  readonly token: In<string>;
}

/** An explicit GitLab provider: nothing falls back to ambient GITLAB_TOKEN settings. */
export class GitlabProvider extends pulumi.ProviderResource {
  constructor(name: string, args: GitlabProviderArgs, opts?: pulumi.ResourceOptions) {
    super(
      'gitlab',
      name,
      { baseUrl: args.baseUrl, token: pulumi.secret(args.token) },
      pinned(opts),
    );
  }
}

/** Access levels in branch protection settings (wire form). */
export type BranchAccessLevel = 'no one' | 'developer' | 'maintainer';

export interface GroupArgs {
  readonly path: In<string>;
  readonly name: In<string>;
  /** Numeric id of the parent group; none for a top-level group. */
  readonly parentId?: In<number>;
  readonly visibilityLevel: In<Visibility>;
  readonly description?: In<string>;
  readonly requestAccessEnabled?: In<boolean>;
  readonly projectCreationLevel?: In<'noone' | 'owner' | 'maintainer' | 'developer'>;
  readonly subgroupCreationLevel?: In<'owner' | 'maintainer'>;
  readonly preventForkingOutsideGroup?: In<boolean>;
  /** How the default branch of every new project in the group is protected. */
  readonly defaultBranchProtectionDefaults?: In<{
    readonly allowedToPushes: In<BranchAccessLevel>[];
    readonly allowedToMerges: In<BranchAccessLevel>[];
    readonly allowForcePush: In<boolean>;
    readonly developerCanInitialPush: In<boolean>;
  }>;
}

/** `gitlab:index/group:Group` */
export class Group extends pulumi.CustomResource {
  declare public readonly fullPath: pulumi.Output<string>;
  declare public readonly webUrl: pulumi.Output<string>;

  constructor(name: string, args: GroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.group,
      name,
      { ...args, fullPath: undefined, webUrl: undefined },
      pinned(opts),
    );
  }

  /** The numeric group id (the resource id), as integer inputs of other resources expect it. */
  public get groupId(): pulumi.Output<number> {
    return this.id.apply(Number);
  }
}

export interface GroupMembershipArgs {
  readonly groupId: In<number>;
  readonly userId: In<number>;
  readonly accessLevel: In<AccessLevel>;
  /** `YYYY-MM-DD` */
  readonly expiresAt?: In<string>;
}

/** `gitlab:index/groupMembership:GroupMembership` */
export class GroupMembership extends pulumi.CustomResource {
  constructor(name: string, args: GroupMembershipArgs, opts?: pulumi.CustomResourceOptions) {
    super(GITLAB_RESOURCE_TYPES.groupMembership, name, { ...args }, pinned(opts));
  }
}

export interface ApplicationArgs {
  readonly name: In<string>;
  readonly redirectUrl: In<string>;
  readonly scopes: In<In<ApplicationScope>[]>;
  readonly confidential: In<boolean>;
}

/** `gitlab:index/application:Application`, an instance-wide OAuth application. */
export class Application extends pulumi.CustomResource {
  /** The OAuth client id. */
  declare public readonly applicationId: pulumi.Output<string>;
  /** The OAuth client secret (secret). */
  declare public readonly secret: pulumi.Output<string>;

  constructor(name: string, args: ApplicationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.application,
      name,
      { ...args, applicationId: undefined, secret: undefined },
      { ...pinned(opts), additionalSecretOutputs: ['secret'] },
    );
  }
}

export interface GroupAccessTokenArgs {
  /** Id or full path of the group. */
  readonly group: In<string>;
  readonly name: In<string>;
  readonly description?: In<string>;
  readonly scopes: In<In<TokenScope>[]>;
  readonly accessLevel: In<AccessLevel>;
  readonly rotationConfiguration: In<RotationConfiguration>;
}

/** `gitlab:index/groupAccessToken:GroupAccessToken` */
export class GroupAccessToken extends pulumi.CustomResource {
  /** The token (secret). */
  declare public readonly token: pulumi.Output<string>;
  /** When the current token was created; it changes when `pulumi up` rotates it. */
  declare public readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: GroupAccessTokenArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.groupAccessToken,
      name,
      { ...args, token: undefined, createdAt: undefined },
      { ...pinned(opts), additionalSecretOutputs: ['token'] },
    );
  }
}

export interface ProjectArgs {
  readonly name: In<string>;
  readonly path: In<string>;
  /** Numeric id of the group the project lives in. */
  readonly namespaceId: In<number>;
  readonly description?: In<string>;
  readonly visibilityLevel: In<Visibility>;
  readonly defaultBranch: In<string>;
  readonly initializeWithReadme?: In<boolean>;
  readonly onlyAllowMergeIfPipelineSucceeds?: In<boolean>;
  readonly allowMergeOnSkippedPipeline?: In<boolean>;
  readonly onlyAllowMergeIfAllDiscussionsAreResolved?: In<boolean>;
  readonly mergeMethod?: In<'merge' | 'rebase_merge' | 'ff'>;
  readonly squashOption?: In<'never' | 'always' | 'default_on' | 'default_off'>;
  readonly removeSourceBranchAfterMerge?: In<boolean>;
  /** Archive instead of deleting when the resource is destroyed. */
  readonly archiveOnDestroy?: In<boolean>;
}

/** `gitlab:index/project:Project` */
export class Project extends pulumi.CustomResource {
  declare public readonly pathWithNamespace: pulumi.Output<string>;
  declare public readonly webUrl: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.project,
      name,
      { ...args, pathWithNamespace: undefined, webUrl: undefined },
      pinned(opts),
    );
  }
}

export interface ProjectAccessTokenArgs {
  /** Id or full path of the project. */
  readonly project: In<string>;
  readonly name: In<string>;
  readonly description?: In<string>;
  readonly scopes: In<In<TokenScope>[]>;
  readonly accessLevel: In<AccessLevel>;
  readonly rotationConfiguration: In<RotationConfiguration>;
}

/** `gitlab:index/projectAccessToken:ProjectAccessToken`: a token whose bot is a member of one project. */
export class ProjectAccessToken extends pulumi.CustomResource {
  /** The token (secret). */
  declare public readonly token: pulumi.Output<string>;
  /** When the current token was created; it changes when `pulumi up` rotates it. */
  declare public readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: ProjectAccessTokenArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.projectAccessToken,
      name,
      { ...args, token: undefined, createdAt: undefined },
      { ...pinned(opts), additionalSecretOutputs: ['token'] },
    );
  }
}

export interface RepositoryFileArgs {
  /** Id or full path of the project. */
  readonly project: In<string>;
  readonly branch: In<string>;
  /** Relative to the repository root, without a leading `/` or `./`. */
  readonly filePath: In<string>;
  readonly content: In<string>;
  readonly encoding: In<'text' | 'base64'>;
  readonly commitMessage?: In<string>;
  /** Replace a file that exists when the resource is created (e.g. the initial README). */
  readonly overwriteOnCreate?: In<boolean>;
  readonly authorName?: In<string>;
  readonly authorEmail?: In<string>;
}

/** `gitlab:index/repositoryFile:RepositoryFile`: one file committed to a branch. */
export class RepositoryFile extends pulumi.CustomResource {
  declare public readonly commitId: pulumi.Output<string>;

  constructor(name: string, args: RepositoryFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.repositoryFile,
      name,
      { ...args, commitId: undefined },
      pinned(opts),
    );
  }
}

export interface ClusterAgentArgs {
  /** Id or full path of the agent's configuration project. */
  readonly project: In<string>;
  readonly name: In<string>;
}

/** `gitlab:index/clusterAgent:ClusterAgent`: a registered GitLab agent for Kubernetes. */
export class ClusterAgent extends pulumi.CustomResource {
  declare public readonly agentId: pulumi.Output<number>;

  constructor(name: string, args: ClusterAgentArgs, opts?: pulumi.CustomResourceOptions) {
    super(GITLAB_RESOURCE_TYPES.clusterAgent, name, { ...args, agentId: undefined }, pinned(opts));
  }
}

export interface ClusterAgentTokenArgs {
  readonly project: In<string>;
  readonly agentId: In<number>;
  readonly name: In<string>;
  readonly description?: In<string>;
}

/** `gitlab:index/clusterAgentToken:ClusterAgentToken`: the token the in-cluster agent connects with. */
export class ClusterAgentToken extends pulumi.CustomResource {
  /** The token (secret). */
  declare public readonly token: pulumi.Output<string>;

  constructor(name: string, args: ClusterAgentTokenArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITLAB_RESOURCE_TYPES.clusterAgentToken,
      name,
      { ...args, token: undefined },
      { ...pinned(opts), additionalSecretOutputs: ['token'] },
    );
  }
}

export interface ProjectVariableArgs {
  /** Id or full path of the project. */
  readonly project: In<string>;
  readonly key: In<string>;
  readonly value: In<string>;
  readonly description?: In<string>;
  /** Only pipelines of protected branches and tags receive it. */
  readonly protected?: In<boolean>;
  /** Hidden in job logs. */
  readonly masked?: In<boolean>;
  /** Not expanded (a `$` in the value stays a `$`). */
  readonly raw?: In<boolean>;
}

/** `gitlab:index/projectVariable:ProjectVariable`: a CI/CD variable of a project. */
export class ProjectVariable extends pulumi.CustomResource {
  constructor(name: string, args: ProjectVariableArgs, opts?: pulumi.CustomResourceOptions) {
    super(GITLAB_RESOURCE_TYPES.projectVariable, name, { ...args }, pinned(opts));
  }
}

export interface GroupHookArgs {
  /** Id or full path of the group. */
  readonly group: In<string>;
  readonly url: In<string>;
  /** Sent as `X-Gitlab-Token` with every delivery (secret). */
  readonly token: In<string>;
  readonly name?: In<string>;
  readonly description?: In<string>;
  readonly pushEvents?: In<boolean>;
  readonly mergeRequestsEvents?: In<boolean>;
  readonly tagPushEvents?: In<boolean>;
  readonly enableSslVerification?: In<boolean>;
}

/** `gitlab:index/groupHook:GroupHook`: a webhook on a group and every project in it. */
export class GroupHook extends pulumi.CustomResource {
  constructor(name: string, args: GroupHookArgs, opts?: pulumi.CustomResourceOptions) {
    super(GITLAB_RESOURCE_TYPES.groupHook, name, { ...args }, pinned(opts));
  }
}
