/**
 * The sign-in page offers the providers `platform.signIn.providers` names: GitLab in every stack
 * (app-config.yaml), guest only where the local-development layer says so. The backend's auth
 * configuration must agree (the tests check both in a browser): a provider the page offers but
 * the backend lacks fails only when chosen.
 */
import { SignInPage, type SignInProviderConfig } from '@backstage/core-components';
import { configApiRef, gitlabAuthApiRef, useApi } from '@backstage/frontend-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';

const GITLAB: SignInProviderConfig = {
  id: 'gitlab-auth-provider',
  title: 'GitLab',
  message: 'Sign in with your GitLab account',
  apiRef: gitlabAuthApiRef,
};

export function PortalSignInPage(props: SignInPageProps): JSX.Element {
  const config = useApi(configApiRef);
  const names = config.getOptionalStringArray('platform.signIn.providers') ?? ['gitlab'];
  const providers = names.map((name) => (name === 'guest' ? ('guest' as const) : GITLAB));
  return (
    <SignInPage
      {...props}
      title={config.getOptionalString('app.title') ?? 'Developer portal'}
      align="center"
      providers={providers}
    />
  );
}
