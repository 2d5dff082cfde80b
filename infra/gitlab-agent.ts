import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { rulesForResources, type GroupResource } from '../constructs/rbac';
import {
  addonRelease,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
  restrictedNamespace,
} from './addon';
import { ArgumentsChecker } from './arguments';

export const GITLAB_AGENT_CHART_REPO = 'https://charts.gitlab.io';

export interface GitlabAgentArgs {
  readonly provider: k8s.Provider;
  /** Version of the `gitlab-agent` Helm chart. */
  readonly chartVersion: string;
  /** GitLab base URL (https, no trailing slash); the agent connects to its KAS endpoint. */
  readonly gitlabUrl: string;
  /** The agent's token (secret), from the ClusterAgentToken. */
  readonly token: pulumi.Input<string>;
  /** Numeric id of the claims project: its CI jobs are impersonated as `gitlab:project:<id>`. */
  readonly claimsProjectId: pulumi.Input<string>;
  /** The claim kinds the claims pipeline may create and update (nothing else). */
  readonly claimResources: readonly GroupResource[];
  /** @default 'gitlab-agent' */
  readonly namespace?: string;
}

/**
 * The agent server (KAS) endpoint of a GitLab instance: its own host on self-managed instances,
 * `kas.gitlab.com` for GitLab.com.
 */
export function kasAddress(gitlabUrl: string): string {
  return gitlabUrl === 'https://gitlab.com'
    ? 'wss://kas.gitlab.com'
    : `${gitlabUrl.replace(/^https:/, 'wss:')}/-/kubernetes-agent/`;
}

/** The verbs server-side apply needs to create and update a claim, and dry-run to check it. */
export const CLAIM_APPLY_VERBS: readonly string[] = ['get', 'create', 'patch'];

/**
 * The GitLab agent for Kubernetes of the claims project, the delivery path of merged claims:
 * the claims pipeline reaches the cluster through it (CI/CD access), as a GitLab shop would,
 * with no cluster credentials stored in GitLab and no inbound connection to the cluster.
 *
 * Least privilege: the chart's own RBAC (cluster-admin for the agent) is off. The agent's
 * ServiceAccount may only impersonate, and its configuration (`access_as: ci_job`) makes every
 * request of a CI job run as that job, whose identity carries the group
 * `gitlab:project:<claims project id>`. That group is bound to a ClusterRole granting get, create
 * and patch on the claim kinds alone: no delete, no Secrets, nothing else.
 */
export class GitlabAgent extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  public readonly chartVersion: pulumi.Output<string>;
  /** The Kubernetes group CI jobs of the claims project act as. */
  public readonly ciJobGroup: pulumi.Output<string>;

  constructor(name: string, args: GitlabAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    new ArgumentsChecker('platform:gitlab:GitlabAgent', name)
      .chartVersion('chartVersion', args.chartVersion)
      .httpsUrl('gitlabUrl', args.gitlabUrl)
      .groupResources('claimResources', args.claimResources)
      .namespace('namespace', args.namespace)
      .done();
    super('platform:gitlab:GitlabAgent', name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const namespace = restrictedNamespace(
      `${name}-namespace`,
      args.namespace ?? 'gitlab-agent',
      childOpts,
    );
    const serviceAccountName = 'gitlab-agent';
    const labels = { 'app.kubernetes.io/part-of': 'platform' };

    const token = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: { name: 'gitlab-agent-token', namespace: namespace.metadata.name, labels },
        type: 'Opaque',
        // The chart reads the token from the key `token` of `config.secretName`.
        stringData: { token: pulumi.secret(args.token) },
      },
      childOpts,
    );

    // Impersonation is all the agent itself may do. The groups a CI job carries vary (its
    // project, each ancestor group, its environment and tier), so they are not enumerated here;
    // what an impersonated job may do is bound below, to the claims project's group only.
    const impersonator = new k8s.rbac.v1.ClusterRole(
      `${name}-impersonator`,
      {
        metadata: { name: 'platform-gitlab-agent-impersonator', labels },
        rules: [
          { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
          {
            apiGroups: ['authentication.k8s.io'],
            resources: ['userextras/*'],
            verbs: ['impersonate'],
          },
        ],
      },
      childOpts,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-impersonator`,
      {
        metadata: { name: 'platform-gitlab-agent-impersonator', labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: impersonator.metadata.name,
        },
        subjects: [
          { kind: 'ServiceAccount', name: serviceAccountName, namespace: namespace.metadata.name },
        ],
      },
      childOpts,
    );

    this.ciJobGroup = pulumi.interpolate`gitlab:project:${args.claimsProjectId}`;
    const applier = new k8s.rbac.v1.ClusterRole(
      `${name}-claims-applier`,
      {
        metadata: { name: 'platform-claims-applier', labels },
        rules: rulesForResources(args.claimResources, CLAIM_APPLY_VERBS),
      },
      childOpts,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-claims-applier`,
      {
        metadata: { name: 'platform-claims-applier', labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: applier.metadata.name,
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: this.ciJobGroup }],
      },
      childOpts,
    );

    this.release = addonRelease(
      `${name}-chart`,
      {
        name: 'gitlab-agent',
        chart: 'gitlab-agent',
        repo: GITLAB_AGENT_CHART_REPO,
        version: args.chartVersion,
        namespace: namespace.metadata.name,
        values: {
          config: { kasAddress: kasAddress(args.gitlabUrl), secretName: token.metadata.name },
          rbac: { create: false },
          serviceAccount: { create: true, name: serviceAccountName },
          replicas: 2,
          podSecurityContext: restrictedPodSecurityContext(WORKLOAD_USERS.gitlabAgent),
          securityContext: restrictedContainerSecurityContext(WORKLOAD_USERS.gitlabAgent),
          resources: {
            requests: { cpu: '50m', memory: '64Mi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
        },
      },
      childOpts,
    );
    this.namespace = namespace.metadata.name;
    this.chartVersion = this.release.version;
    this.registerOutputs({
      namespace: this.namespace,
      chartVersion: this.chartVersion,
      ciJobGroup: this.ciJobGroup,
    });
  }
}
