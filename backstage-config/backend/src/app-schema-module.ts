import {
  type BackendFeature,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { configSchemaExtensionPoint } from '@backstage/plugin-app-node';
import { appSchemaFileOf, type SchemaWorker } from './schema-worker-host';

/**
 * Gives plugin-app-backend the app's config schema as the worker compiled it
 * (src/schema-worker-host.ts), instead of its compiling the same file again in the main thread
 * when it starts. Only when the app it serves (`app.packageName`) is the one whose schema the
 * worker compiled; otherwise, or when the worker failed, the plugin does as Backstage does.
 */
export function appSchemaModule(worker: SchemaWorker): BackendFeature {
  return createBackendModule({
    pluginId: 'app',
    moduleId: 'platform-config-schema',
    register(reg) {
      reg.registerInit({
        deps: {
          configSchema: configSchemaExtensionPoint,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
        },
        async init({ configSchema, config, logger }) {
          // The app plugin-app-backend serves, with its own default.
          const served = appSchemaFileOf(config.getOptionalString('app.packageName') ?? 'app');
          // Without a schema file, the plugin injects no configuration at all.
          if (served === undefined) return;
          if (served !== worker.appSchemaFile) {
            logger.info(
              `The config schema worker compiled ${worker.appSchemaFile ?? 'no app schema'}, not ${served}: plugin-app-backend compiles it instead`,
            );
            return;
          }
          const schema = await worker.appSchema(logger);
          if (schema !== undefined) configSchema.setConfigSchema(schema);
        },
      });
    },
  });
}
