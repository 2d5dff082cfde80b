import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createEntityAbsentAction,
  createGitlabGroupAction,
  createRequireEntityAction,
} from './catalog-actions';
import { createClaimCheckAction } from './claim-check-action';

/** The portal's own template actions: checks that run before a template writes anything. */
export const platformScaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-checks',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      init({ scaffolder, config, catalog }) {
        scaffolder.addActions(
          createClaimCheckAction({ integrations: ScmIntegrations.fromConfig(config) }),
          createRequireEntityAction({ catalog }),
          createGitlabGroupAction({ catalog }),
          createEntityAbsentAction({ catalog }),
        );
        return Promise.resolve();
      },
    });
  },
});
