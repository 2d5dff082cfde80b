import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  apiBaseUrl,
  CLAIMS_AGENT_SPEC,
  claimsProject,
  claimsRepositoryFiles,
  claimsVariables,
  groupTree,
  type GitlabSettings,
} from './gitlab-spec';
import {
  OAUTH_SECRET,
  oauthApplication,
  portalSecret,
  READ_TOKEN_SECRET,
  redirectUrl,
  SCAFFOLDER_TOKEN_SECRET,
  TOKENS,
} from './portal-access';
import {
  Application,
  ClusterAgent,
  ClusterAgentToken,
  GitlabProvider,
  Group,
  GroupAccessToken,
  GroupMembership,
  Project,
  ProjectAccessToken,
  ProjectVariable,
  RepositoryFile,
} from './resources';
import { checkGitlabSettings } from './gitlab-arguments';

/** The full paths of the group tree GitlabPlatform creates. */
export interface GroupPaths {
  readonly platform: string;
  readonly platformTeam: string;
  readonly customers: string;
  /** By the customer group's path segment. */
  readonly customerGroups: Readonly<Record<string, string>>;
}

export interface GitlabPlatformArgs extends GitlabSettings {
  /** Kubernetes provider, for the Secrets that hand the portal its GitLab credentials. */
  readonly kubernetesProvider: k8s.Provider;
  /** Administrator token for Pulumi (secret); it never reaches the cluster. */
  readonly adminToken: pulumi.Input<string>;
  /** Namespace of the portal, where its Secrets go. */
  readonly portalNamespace: pulumi.Input<string>;
}

/**
 * The GitLab side of the platform: an explicit provider for the configured instance, the group
 * tree (platform, platform team, customers and the customer groups with their members), the
 * claims project with its files, agent, tokens and CI/CD variables, and the OAuth application
 * the portal signs in with; the portal's credentials go to the cluster as Secrets. Groups, the
 * project and the application are protected: deleting them would lose projects and sign-in.
 * What each resource is given is computed by pure functions (gitlab-spec.ts, portal-access.ts);
 * this declares the resources and wires their ids and tokens together.
 */
export class GitlabPlatform extends pulumi.ComponentResource {
  public readonly redirectUrl: pulumi.Output<string>;
  /** Full paths of the groups, by role (platform, platformTeam, customers) and customer path. */
  /**
   * Full paths of the group tree; customer groups under their own key, so that a customer group
   * named like a key of the tree (`platform`, `customers`) cannot overwrite it.
   */
  public readonly groupPaths: pulumi.Output<GroupPaths>;
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
    checkGitlabSettings('platform:gitlab:GitlabPlatform', name, args)
      .namespace('portalNamespace', args.portalNamespace)
      .done();
    super('platform:gitlab:GitlabPlatform', name, {}, opts);
    const provider = new GitlabProvider(
      `${name}-provider`,
      { baseUrl: apiBaseUrl(args.gitlabUrl), token: args.adminToken },
      { parent: this },
    );
    const child = { parent: this, provider };
    // Groups, the claims project and the OAuth application: deleting them loses projects, the
    // claims' history and sign-in.
    const keep = { ...child, protect: true };
    const secret = (
      id: string,
      secretName: string,
      stringData: Record<string, pulumi.Input<string>>,
    ): k8s.core.v1.Secret =>
      new k8s.core.v1.Secret(
        `${name}-${id}`,
        portalSecret(secretName, args.portalNamespace, stringData),
        { parent: this, provider: args.kubernetesProvider },
      );

    const tree = groupTree(args.groups, args.customerGroups);
    const platform = new Group(`${name}-platform-group`, tree.platform, keep);
    const platformTeam = new Group(
      `${name}-platform-team-group`,
      { ...tree.platformTeam, parentId: platform.groupId },
      keep,
    );
    const customers = new Group(
      `${name}-customers-group`,
      { ...tree.customers, parentId: platform.groupId },
      keep,
    );
    const customerPaths: Record<string, pulumi.Output<string>> = {};
    for (const group of tree.customerGroups) {
      const g = new Group(
        `${name}-${group.id}`,
        { ...group.args, parentId: customers.groupId },
        keep,
      );
      customerPaths[group.path] = g.fullPath;
      for (const member of group.members) {
        new GroupMembership(`${name}-${member.id}`, { ...member.args, groupId: g.groupId }, child);
      }
    }

    const claims = new Project(
      `${name}-claims-project`,
      { ...claimsProject(args.claimsProject), namespaceId: platform.groupId },
      keep,
    );
    const committed = claimsRepositoryFiles(args).map(
      (file) =>
        new RepositoryFile(`${name}-${file.id}`, { ...file.args, project: claims.id }, child),
    );
    // The agent reads its configuration when registered: the files are committed first.
    const agent = new ClusterAgent(
      `${name}-claims-agent`,
      { ...CLAIMS_AGENT_SPEC.agent, project: claims.id },
      { ...child, dependsOn: committed },
    );
    const agentToken = new ClusterAgentToken(
      `${name}-claims-agent-token`,
      { ...CLAIMS_AGENT_SPEC.token, project: claims.id, agentId: agent.agentId },
      child,
    );

    const groupsToken = new GroupAccessToken(
      `${name}-claims-groups-token`,
      { ...TOKENS.claimsGroups, group: customers.id },
      child,
    );
    const variables = claimsVariables({
      token: groupsToken.token,
      parentId: customers.id,
      parentPath: args.groups.customers,
    });
    for (const variable of variables) {
      new ProjectVariable(
        `${name}-${variable.id}`,
        { ...variable.args, project: claims.id },
        child,
      );
    }

    const scaffolderToken = new ProjectAccessToken(
      `${name}-portal-scaffolder-token`,
      { ...TOKENS.portalScaffolder, project: claims.id },
      child,
    );
    const scaffolderSecret = secret('portal-scaffolder-token', SCAFFOLDER_TOKEN_SECRET.name, {
      [SCAFFOLDER_TOKEN_SECRET.key]: scaffolderToken.token,
    });
    const readToken = new GroupAccessToken(
      `${name}-portal-read-token`,
      { ...TOKENS.portalRead, group: platform.id },
      child,
    );
    const readSecret = secret('portal-read-token', READ_TOKEN_SECRET.name, {
      [READ_TOKEN_SECRET.key]: readToken.token,
    });
    const app = new Application(`${name}-oauth-application`, oauthApplication(args), keep);
    const oauthSecret = secret('oauth-client', OAUTH_SECRET.name, {
      [OAUTH_SECRET.clientId]: app.applicationId,
      [OAUTH_SECRET.clientSecret]: app.secret,
    });

    this.redirectUrl = pulumi.output(redirectUrl(args.backstageHost));
    this.groupPaths = pulumi.output({
      platform: platform.fullPath,
      platformTeam: platformTeam.fullPath,
      customers: customers.fullPath,
      customerGroups: customerPaths,
    });
    this.oauthSecretName = oauthSecret.metadata.name;
    this.claimsProjectPath = claims.pathWithNamespace;
    this.readTokenSecretName = readSecret.metadata.name;
    this.scaffolderTokenSecretName = scaffolderSecret.metadata.name;
    this.tokensCreatedAt = pulumi.interpolate`${readToken.createdAt} ${scaffolderToken.createdAt}`;
    this.claimsProjectId = claims.id;
    this.agentToken = agentToken.token;
    this.registerOutputs({
      redirectUrl: this.redirectUrl,
      groupPaths: this.groupPaths,
      oauthSecretName: this.oauthSecretName,
      claimsProjectPath: this.claimsProjectPath,
      readTokenSecretName: this.readTokenSecretName,
      scaffolderTokenSecretName: this.scaffolderTokenSecretName,
      tokensCreatedAt: this.tokensCreatedAt,
      claimsProjectId: this.claimsProjectId,
      agentToken: this.agentToken,
    });
  }
}
