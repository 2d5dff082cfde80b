import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { PlatformPermissionPolicy } from './permission-policy';

/** Installs the portal's permission policy, with its data from `platform.permissions`. */
export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'platform-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      init({ policy, config }) {
        policy.setPolicy(PlatformPermissionPolicy.fromConfig(config));
        return Promise.resolve();
      },
    });
  },
});
