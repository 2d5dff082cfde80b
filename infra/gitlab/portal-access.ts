/**
 * What the portal gets from GitLab, computed from typed arguments: its OAuth application (the
 * sign-in), the tokens it and the claims pipeline work with, and the Secrets that hand the
 * portal's credentials to the cluster, with their names and keys (which the portal's Helm values
 * and the preflight use too). Pure (the Pulumi SDK only as types), like gitlab-spec.ts.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { GitlabSettings } from './gitlab-spec';
import type { ApplicationArgs, GroupAccessTokenArgs, ProjectAccessTokenArgs } from './resources';

type In<T> = pulumi.Input<T>;

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

/**
 * The tokens, without what they belong to. `claimsGroups`: customer groups requested by merge
 * request (the customer-group template) are created by the claims pipeline once merged, with a
 * token of the customers group that only pipelines of the protected default branch receive; the
 * portal holds no token that can create groups. `portalScaffolder`: the scaffolder opens merge
 * requests on the claims project only, with a project token whose bot is a developer there (it
 * can push branches and open merge requests, not merge them, since the default branch is
 * protected) and nowhere else; Backstage keeps one integration token per host (the read token),
 * so templates pass this one to their merge-request step. `portalRead`: Backstage reads GitLab
 * with one token per host, for catalog discovery, org ingestion and reading templates: a group
 * token of the platform group that can read, not write.
 */
export const TOKENS: {
  readonly claimsGroups: Omit<GroupAccessTokenArgs, 'group'>;
  readonly portalScaffolder: Omit<ProjectAccessTokenArgs, 'project'>;
  readonly portalRead: Omit<GroupAccessTokenArgs, 'group'>;
} = {
  claimsGroups: {
    name: 'platform-claims-groups',
    description: 'Claims pipeline: creates reviewed customer groups',
    scopes: ['api'],
    // Creating subgroups takes the customers group's subgroup creation level (owner).
    accessLevel: 'owner',
    rotationConfiguration: { ...TOKEN_ROTATION },
  },
  portalScaffolder: {
    name: 'platform-portal-scaffolder',
    description: 'Backstage scaffolder: merge requests with claims',
    scopes: ['api'],
    accessLevel: 'developer',
    rotationConfiguration: { ...TOKEN_ROTATION },
  },
  portalRead: {
    name: 'platform-portal-read',
    description: 'Backstage: catalog discovery and org ingestion (read only)',
    scopes: ['read_api', 'read_repository'],
    accessLevel: 'reporter',
    rotationConfiguration: { ...TOKEN_ROTATION },
  },
};

/** The portal's OAuth application: confidential, at Backstage's GitLab callback. */
export function oauthApplication(
  settings: Pick<GitlabSettings, 'backstageHost' | 'signInScopes'>,
): ApplicationArgs {
  return {
    name: oauthApplicationName(settings.backstageHost),
    redirectUrl: redirectUrl(settings.backstageHost),
    scopes: [...settings.signInScopes],
    confidential: true,
  };
}

/** A Secret in the portal's namespace with credentials the portal reads as env vars. */
export function portalSecret(
  name: string,
  namespace: In<string>,
  stringData: Readonly<Record<string, In<string>>>,
): k8s.core.v1.SecretArgs {
  return {
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'platform' } },
    type: 'Opaque',
    stringData: { ...stringData },
  };
}
