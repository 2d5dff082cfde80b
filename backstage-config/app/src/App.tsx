/**
 * The portal's app on the new frontend system: the plugins are the package's dependencies,
 * discovered by the Backstage CLI at build time (`app.packages: all` in app-config.yaml) and
 * configured under `app.extensions` in the config layers. Only the sign-in page is the portal's
 * own code.
 */
import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { PortalSignInPage } from './SignInPage';

const signInPage = SignInPageBlueprint.make({
  params: { loader: () => Promise.resolve(PortalSignInPage) },
});

export default createApp({
  features: [createFrontendModule({ pluginId: 'app', extensions: [signInPage] })],
});
