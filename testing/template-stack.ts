/**
 * The stacks templates run for, as the portal gives them to the templates: the scaffolder's
 * default environment read from the production config layer with a stack's `${GITLAB_*}` values
 * (infra/backstage-spec.ts `gitlabEnv`, the portal-env ConfigMap in the cluster), the integrations,
 * and the catalog's Groups as the GitLab org provider makes them. Stacks at the boundaries of
 * the configuration schema are listed here for the template tests.
 */
import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { gitlabEnv, orgEntityName } from '../infra/backstage-spec';
import { loadConfigLayers } from './backstage-config';
import { PORTAL_TEST_ENV } from './portal-env';

/** The stack settings the templates see (through the scaffolder's default environment). */
export interface TemplateStack {
  readonly gitlabUrl: string;
  readonly platformGroup: string;
  readonly customersGroup: string;
  readonly claimsProject: string;
}

/** The dev stack (Pulumi.dev.yaml). */
export const DEV_STACK: TemplateStack = {
  gitlabUrl: 'https://gitlab.example.com',
  platformGroup: 'acme-platform',
  customersGroup: 'acme-platform/customers',
  claimsProject: 'claims',
};

export interface StackEnvironment {
  readonly env: Record<string, string>;
  readonly host: string;
  readonly parameters: Record<string, unknown>;
  readonly secrets: Record<string, string>;
  readonly integrations: ScmIntegrations;
}

/** The config layers the cluster's portal reads before its stack layer. */
const layers = ['app-config.yaml', 'app-config.production.yaml'];

const environments = new Map<string, StackEnvironment>();

/** The default environment and integrations a stack's portal gives its templates. */
export function stackEnvironment(stack: TemplateStack): StackEnvironment {
  const key = JSON.stringify(stack);
  let environment = environments.get(key);
  if (environment === undefined) {
    environment = readStackEnvironment(stack);
    environments.set(key, environment);
  }
  return environment;
}

function readStackEnvironment(stack: TemplateStack): StackEnvironment {
  const env = { ...PORTAL_TEST_ENV, ...gitlabEnv({ url: stack.gitlabUrl, ...stack }) };
  const config = loadConfigLayers(layers, env) as {
    scaffolder: {
      defaultEnvironment: { parameters: Record<string, unknown>; secrets: Record<string, string> };
    };
    integrations: unknown;
  };
  return {
    env,
    host: env.GITLAB_HOST,
    ...config.scaffolder.defaultEnvironment,
    integrations: ScmIntegrations.fromConfig(
      new ConfigReader({ integrations: config.integrations } as never),
    ),
  };
}

/**
 * A Group as the GitLab org provider ingests it (catalog-backend-module-gitlab 0.8.8,
 * lib/defaultTransformers.cjs.js): named after its path below the platform group, annotated with
 * its full path under `<host>/team-path`.
 */
export function orgGroup(stack: TemplateStack, fullPath: string): Entity {
  const host = new URL(stack.gitlabUrl).host;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: orgEntityName(stack.platformGroup, fullPath),
      namespace: 'default',
      annotations: { [`${host}/team-path`]: fullPath },
    },
    spec: { type: 'team', children: [], profile: { displayName: fullPath } },
  };
}

/** Stacks at the boundaries of the configuration schema (a test checks each one is allowed). */
export const BOUNDARY_STACKS: Readonly<Record<string, TemplateStack>> = {
  dev: DEV_STACK,
  // Every configured group path as long as allowed (32 characters), another GitLab host.
  longest: {
    gitlabUrl: 'https://git.platform-eu.example.org',
    platformGroup: 'acme-platform-europe',
    customersGroup: 'acme-platform-europe/customers-1',
    claimsProject: 'platform-claims-repository',
  },
  // The configuration's defaults: GitLab.com, the shortest paths.
  defaults: {
    gitlabUrl: 'https://gitlab.com',
    platformGroup: 'platform',
    customersGroup: 'platform/customers',
    claimsProject: 'claims',
  },
};
