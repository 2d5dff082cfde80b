import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  agentConfig,
  CLAIMS_AGENT,
  GROUP_JOB_VARIABLES,
} from '../../generators/claims-repository/claims-repository';
import {
  Application,
  ClusterAgent,
  ClusterAgentToken,
  GitlabProvider,
  Group,
  GroupMembership,
  GroupAccessToken,
  Project,
  ProjectAccessToken,
  ProjectVariable,
  RepositoryFile,
  type AccessLevel,
  type ApplicationScope,
  type Visibility,
} from './resources';

export interface CustomerGroup {
  /** Path segment under the customers group. */
  readonly path: string;
  readonly name: string;
  readonly visibility: Visibility;
  readonly members: readonly { readonly userId: number; readonly accessLevel: AccessLevel }[];
}

export interface GitlabPlatformArgs {
  /** Kubernetes provider, for the Secret that hands the OAuth client to the portal. */
  readonly kubernetesProvider: k8s.Provider;
  /** GitLab base URL, https, without trailing slash. */
  readonly gitlabUrl: string;
  /** Administrator token for Pulumi (secret); it never reaches the cluster. */
  readonly adminToken: pulumi.Input<string>;
  /** Full paths: a top-level platform group and two of its direct subgroups. */
  readonly groups: {
    readonly platform: string;
    readonly platformTeam: string;
    readonly customers: string;
  };
  readonly customerGroups: readonly CustomerGroup[];
  /** Host of the portal; the OAuth redirect URL is derived from it. */
  readonly backstageHost: string;
  /** Scopes the portal's sign-in requests (see signInScopes in infra/backstage-config.ts). */
  readonly signInScopes: readonly ApplicationScope[];
  /** Path of the claims repository in the platform group. */
  readonly claimsProject: string;
  /** The claims repository's generated files (generators/claims-repository/), by path. */
  readonly claimsFiles: Readonly<Record<string, string>>;
  /** Namespace of the portal, where the OAuth client Secret goes. */
  readonly portalNamespace: pulumi.Input<string>;
}

/** Where GitLab sends the browser back to after sign-in: Backstage's GitLab auth handler. */
export function redirectUrl(backstageHost: string): string {
  return `https://${backstageHost}/api/auth/gitlab/handler/frame`;
}

/** The Secret with the token the portal reads GitLab with, and its key. */
export const READ_TOKEN_SECRET = { name: 'portal-gitlab-token', key: 'GITLAB_TOKEN' } as const;

/** The Secret with the token the scaffolder opens merge requests on the claims project with. */
export const SCAFFOLDER_TOKEN_SECRET = {
  name: 'portal-gitlab-scaffolder-token',
  key: 'GITLAB_SCAFFOLDER_TOKEN',
} as const;

/** How long tokens live, and how long before expiry `pulumi up` replaces them. */
export const TOKEN_ROTATION = { expirationDays: 90, rotateBeforeDays: 14 } as const;

/** The OAuth application's name, which says which portal it serves. */
export function oauthApplicationName(backstageHost: string): string {
  return `Platform portal (${backstageHost})`;
}

/** Name of the Secret with the OAuth client, and its keys (the portal's env var names). */
export const OAUTH_SECRET = {
  name: 'portal-gitlab-oauth',
  clientId: 'AUTH_GITLAB_CLIENT_ID',
  clientSecret: 'AUTH_GITLAB_CLIENT_SECRET',
} as const;

const title = (path: string): string =>
  path
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

/**
 * The GitLab side of the platform: an explicit provider for the configured instance, the group
 * tree (platform, platform team, customers and the customer groups with their members), and the
 * OAuth application the portal signs in with, whose client goes to the cluster as a Secret.
 * Groups and the application are protected: deleting them would lose projects and sign-in.
 */
export class GitlabPlatform extends pulumi.ComponentResource {
  public readonly redirectUrl: pulumi.Output<string>;
  /** Full paths of the groups, by role (platform, platformTeam, customers) and customer path. */
  public readonly groupPaths: pulumi.Output<Readonly<Record<string, string>>>;
  public readonly oauthSecretName: pulumi.Output<string>;
  public readonly claimsProjectPath: pulumi.Output<string>;
  /** The Secret with the portal's read token. */
  public readonly readTokenSecretName: pulumi.Output<string>;
  /** The Secret with the scaffolder's token for the claims project. */
  public readonly scaffolderTokenSecretName: pulumi.Output<string>;
  /** Changes whenever a portal token is rotated: the portal restarts to pick the new one up. */
  public readonly tokensCreatedAt: pulumi.Output<string>;
  /** Numeric id of the claims project (the agent impersonates its CI jobs as `gitlab:project:<id>`). */
  public readonly claimsProjectId: pulumi.Output<string>;
  /** The token of the claims project's GitLab agent (secret), for the in-cluster agent. */
  public readonly agentToken: pulumi.Output<string>;

  constructor(name: string, args: GitlabPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super('platform:gitlab:GitlabPlatform', name, {}, opts);
    const provider = new GitlabProvider(
      `${name}-provider`,
      { baseUrl: `${args.gitlabUrl}/api/v4/`, token: args.adminToken },
      { parent: this },
    );
    const keep = { parent: this, provider, protect: true };
    // A Secret in the portal's namespace with credentials the portal reads as env vars.
    const portalSecret = (
      id: string,
      secretName: string,
      stringData: Record<string, pulumi.Input<string>>,
    ): k8s.core.v1.Secret =>
      new k8s.core.v1.Secret(
        id,
        {
          metadata: {
            name: secretName,
            namespace: args.portalNamespace,
            labels: { 'app.kubernetes.io/part-of': 'platform' },
          },
          type: 'Opaque',
          stringData,
        },
        { parent: this, provider: args.kubernetesProvider },
      );
    const lastSegment = (path: string): string => path.split('/').pop() ?? path;
    const restricted = {
      visibilityLevel: 'private' as const,
      requestAccessEnabled: false,
      projectCreationLevel: 'maintainer' as const,
      subgroupCreationLevel: 'owner' as const,
      preventForkingOutsideGroup: true,
    };

    // Every project of the platform group (the claims repository first) gets a default branch
    // that only maintainers push to and merge into (GitLab's "Protected" preset): the portal's
    // bot and developers change it by merge request only. Pulumi, an administrator, commits the
    // generated pipeline files; "no one" would lock it out too.
    const protectedDefaultBranch = {
      allowedToPushes: ['maintainer' as const],
      allowedToMerges: ['maintainer' as const],
      allowForcePush: false,
      developerCanInitialPush: false,
    };
    const platform = new Group(
      `${name}-platform-group`,
      {
        path: args.groups.platform,
        name: title(args.groups.platform),
        description: 'The internal developer platform',
        defaultBranchProtectionDefaults: protectedDefaultBranch,
        ...restricted,
      },
      keep,
    );
    const subgroup = (id: string, path: string, description: string): Group =>
      new Group(
        `${name}-${id}-group`,
        {
          path: lastSegment(path),
          name: title(lastSegment(path)),
          parentId: platform.groupId,
          description,
          ...restricted,
        },
        keep,
      );
    const platformTeam = subgroup(
      'platform-team',
      args.groups.platformTeam,
      'The platform team: owners of the platform',
    );
    const customers = subgroup('customers', args.groups.customers, 'Teams that use the platform');

    const customerPaths: Record<string, pulumi.Output<string>> = {};
    for (const group of args.customerGroups) {
      const g = new Group(
        `${name}-customer-${group.path}`,
        {
          path: group.path,
          name: group.name,
          parentId: customers.groupId,
          visibilityLevel: group.visibility,
          requestAccessEnabled: false,
          preventForkingOutsideGroup: true,
        },
        keep,
      );
      customerPaths[group.path] = g.fullPath;
      for (const member of group.members) {
        new GroupMembership(
          `${name}-customer-${group.path}-member-${member.userId}`,
          { groupId: g.groupId, userId: member.userId, accessLevel: member.accessLevel },
          { parent: this, provider },
        );
      }
    }

    // Where the portal's templates open merge requests with claims; a claim lands only when its
    // pipeline (which validates it) succeeds and a maintainer merges it.
    const claims = new Project(
      `${name}-claims-project`,
      {
        name: 'Claims',
        path: args.claimsProject,
        namespaceId: platform.groupId,
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
      },
      keep,
    );

    // The pipeline and README of the claims repository, generated by this repository, and the
    // configuration of the agent its pipeline reaches the cluster through.
    const claimsProjectPath = `${args.groups.platform}/${args.claimsProject}`;
    const agentFile = agentConfig(claimsProjectPath);
    const files = { ...args.claimsFiles, [agentFile.path]: agentFile.content };
    const committed = Object.keys(files)
      .sort()
      .map(
        (filePath) =>
          new RepositoryFile(
            `${name}-claims-file-${filePath.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`,
            {
              project: claims.id,
              branch: 'main',
              filePath,
              content: files[filePath],
              encoding: 'text',
              // The project starts with a README; ours replaces it.
              overwriteOnCreate: true,
              commitMessage: `Update ${filePath} (generated by the platform repository)`,
            },
            { parent: this, provider },
          ),
      );
    const agent = new ClusterAgent(
      `${name}-claims-agent`,
      { project: claims.id, name: CLAIMS_AGENT.name },
      { parent: this, provider, dependsOn: committed },
    );
    const agentToken = new ClusterAgentToken(
      `${name}-claims-agent-token`,
      {
        project: claims.id,
        agentId: agent.agentId,
        name: `${CLAIMS_AGENT.name}-in-cluster`,
        description: 'The in-cluster agent (installed by the platform stack)',
      },
      { parent: this, provider },
    );

    // Customer groups requested by merge request (the customer-group template) are created by the
    // claims pipeline once merged: with a token of the customers group that only pipelines of the
    // protected default branch receive. The portal holds no token that can create groups.
    const groupsToken = new GroupAccessToken(
      `${name}-claims-groups-token`,
      {
        group: customers.id,
        name: 'platform-claims-groups',
        description: 'Claims pipeline: creates reviewed customer groups',
        scopes: ['api'],
        // Creating subgroups takes the customers group's subgroup creation level (owner).
        accessLevel: 'owner',
        rotationConfiguration: { ...TOKEN_ROTATION },
      },
      { parent: this, provider },
    );
    const variables: Record<string, { value: pulumi.Input<string>; secret: boolean }> = {
      [GROUP_JOB_VARIABLES.token]: { value: groupsToken.token, secret: true },
      [GROUP_JOB_VARIABLES.parentId]: { value: customers.id, secret: false },
      [GROUP_JOB_VARIABLES.parentPath]: { value: args.groups.customers, secret: false },
    };
    for (const [key, { value, secret }] of Object.entries(variables)) {
      new ProjectVariable(
        `${name}-claims-variable-${key.toLowerCase().replaceAll('_', '-')}`,
        {
          project: claims.id,
          key,
          value,
          protected: true,
          masked: secret,
          raw: true,
        },
        { parent: this, provider },
      );
    }

    // The scaffolder opens merge requests on the claims project only: a project token whose bot
    // is a developer there (it can push branches and open merge requests, not merge them, since
    // the default branch is protected) and nowhere else. Backstage keeps one integration token
    // per host (the read token below); templates pass this one to their merge-request step.
    const scaffolderToken = new ProjectAccessToken(
      `${name}-portal-scaffolder-token`,
      {
        project: claims.id,
        name: 'platform-portal-scaffolder',
        description: 'Backstage scaffolder: merge requests with claims',
        scopes: ['api'],
        accessLevel: 'developer',
        rotationConfiguration: { ...TOKEN_ROTATION },
      },
      { parent: this, provider },
    );
    const scaffolderSecret = portalSecret(
      `${name}-portal-scaffolder-token`,
      SCAFFOLDER_TOKEN_SECRET.name,
      { [SCAFFOLDER_TOKEN_SECRET.key]: scaffolderToken.token },
    );

    // Backstage reads GitLab with one token per host, for catalog discovery, org ingestion and
    // reading templates: a group token that can read, not write, the platform's groups.
    const readToken = new GroupAccessToken(
      `${name}-portal-read-token`,
      {
        group: platform.id,
        name: 'platform-portal-read',
        description: 'Backstage: catalog discovery and org ingestion (read only)',
        scopes: ['read_api', 'read_repository'],
        accessLevel: 'reporter',
        rotationConfiguration: { ...TOKEN_ROTATION },
      },
      { parent: this, provider },
    );
    const tokenSecret = portalSecret(`${name}-portal-read-token`, READ_TOKEN_SECRET.name, {
      [READ_TOKEN_SECRET.key]: readToken.token,
    });

    const url = redirectUrl(args.backstageHost);
    const app = new Application(
      `${name}-oauth-application`,
      {
        name: oauthApplicationName(args.backstageHost),
        redirectUrl: url,
        scopes: [...args.signInScopes],
        confidential: true,
      },
      keep,
    );
    const secret = portalSecret(`${name}-oauth-client`, OAUTH_SECRET.name, {
      [OAUTH_SECRET.clientId]: app.applicationId,
      [OAUTH_SECRET.clientSecret]: app.secret,
    });

    this.claimsProjectPath = claims.pathWithNamespace;
    this.claimsProjectId = claims.id;
    this.agentToken = agentToken.token;
    this.scaffolderTokenSecretName = scaffolderSecret.metadata.name;
    this.tokensCreatedAt = pulumi.interpolate`${readToken.createdAt} ${scaffolderToken.createdAt}`;
    this.readTokenSecretName = tokenSecret.metadata.name;
    this.redirectUrl = pulumi.output(url);
    const paths: Record<string, pulumi.Output<string>> = {
      platform: platform.fullPath,
      platformTeam: platformTeam.fullPath,
      customers: customers.fullPath,
      ...customerPaths,
    };
    this.groupPaths = pulumi.all(paths);
    this.oauthSecretName = secret.metadata.name;
    this.registerOutputs({
      redirectUrl: this.redirectUrl,
      groupPaths: this.groupPaths,
      oauthSecretName: this.oauthSecretName,
      claimsProjectPath: this.claimsProjectPath,
    });
  }
}
