/**
 * The portal's Backstage backend (new backend system): exactly the plugins and modules that
 * backstage-config/ configures. Started by `npm run portal` locally and by the portal image in the
 * cluster; the end-to-end test boots it against a real PostgreSQL.
 */
import { createBackend } from '@backstage/backend-defaults';
import { appSchemaModule } from './app-schema-module';
import { permissionPolicyModule } from './permission-module';
import { rootHttpRouter } from './root-http-router';
import { rootLoggerServiceFactory, rootLoggerSettled } from './root-logger';
import { platformScaffolderModule } from './scaffolder-module';
import { startSchemaWorker } from './schema-worker-host';

// The first statement (the imports above load backend-defaults before it): the worker that
// compiles the config schemas while the plugins below load.
const schemas = startSchemaWorker();
const backend = createBackend();

// Backstage's logger, with the secrets to redact found with the schema the build serialized
// instead of every plugin's config.d.ts compiled again at each start (src/root-logger.ts).
backend.add(rootLoggerServiceFactory(schemas.findSecrets));

// Backstage's root HTTP router, which at shutdown also ends the event bus's waiting polls: they
// held the process for up to 55 s after a SIGTERM (src/root-http-router.ts).
backend.add(rootHttpRouter);

// The app (backstage-config/app, built into its dist/), served from the backend's own origin:
// the chart's ingress sends the whole host here. The configuration it gives the frontend is
// chosen with the app's schema as the worker compiled it (src/app-schema-module.ts).
backend.add(import('@backstage/plugin-app-backend'));
backend.add(appSchemaModule(schemas));

// Catalog: the platform's own entities (dist/catalog), Templates as entities, GitLab discovery of
// catalog-info.yaml files and GitLab org ingestion (groups and users).
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(import('@backstage/plugin-catalog-backend-module-gitlab'));
backend.add(import('@backstage/plugin-catalog-backend-module-gitlab-org'));

// Software templates, with the GitLab actions (merge requests, projects).
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-gitlab'));
// The portal's checks that run before a template writes (src/scaffolder-module.ts).
backend.add(platformScaffolderModule);

// Sign-in: GitLab; guest only where the local-development layer configures it.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-gitlab-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// Kubernetes view, TechDocs, GitLab CI/CD view.
backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage/plugin-techdocs-backend'));
backend.add(import('@immobiliarelabs/backstage-plugin-gitlab-backend'));

// Search on PostgreSQL, indexing the catalog and TechDocs.
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// Events: GitLab's group webhook (push and merge-request events, registered by the stack on the
// platform group) reaches the catalog's GitLab provider, which refreshes on change.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-events-backend-module-gitlab'));

// Permissions, with the portal's policy (src/permission-policy.ts), not allow-all.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionPolicyModule);

backend.start().catch(async (error: unknown) => {
  // Backstage has logged why (the root logger's held lines first); exit instead of idling
  // half-started.
  await rootLoggerSettled();
  console.error(error);
  process.exit(1);
});
