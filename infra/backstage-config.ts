/**
 * Facts derived from the portal's configuration layers in backstage-config/, so that what the
 * stack provisions (the OAuth application's scopes and redirect URL) follows what the portal
 * is configured to request.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { APP_CONFIG_LAYERS, type ConfigLayerFile } from './backstage-spec';
import type { ApplicationScope } from './gitlab/resources';

export const BACKSTAGE_CONFIG_DIR = path.resolve(__dirname, '..', 'backstage-config');

/**
 * The config layers of backstage-config/ as files, in the order the backend reads them, for the
 * portal's ConfigMaps (the stack reads them; the component is given them).
 */
export function readConfigLayerFiles(): ConfigLayerFile[] {
  return APP_CONFIG_LAYERS.map((file) => ({
    file,
    content: fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, file), 'utf8'),
  }));
}

/** A config layer as parsed YAML. */
export function readConfigLayer(file: string): Record<string, unknown> {
  return parse(fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, file), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** The scope Backstage's GitLab authenticator always requests (plugin-auth-backend-module-gitlab-provider). */
export const GITLAB_AUTH_REQUIRED_SCOPES: readonly ApplicationScope[] = ['read_user'];

/** The GitLab sign-in settings of the production layer. */
export function gitlabSignIn(): Record<string, unknown> {
  const auth = readConfigLayer('app-config.production.yaml').auth as
    { providers?: { gitlab?: { production?: Record<string, unknown> } } } | undefined;
  const production = auth?.providers?.gitlab?.production;
  if (production === undefined) {
    throw new Error(
      'backstage-config/app-config.production.yaml has no auth.providers.gitlab.production',
    );
  }
  return production;
}

/** Every scope the portal's sign-in requests: the authenticator's own plus `additionalScopes`. */
export function signInScopes(): ApplicationScope[] {
  const extra = gitlabSignIn().additionalScopes;
  const additional =
    typeof extra === 'string'
      ? extra.split(/[\s,]+/).filter(Boolean)
      : ((extra as string[] | undefined) ?? []);
  return [...new Set([...GITLAB_AUTH_REQUIRED_SCOPES, ...additional])] as ApplicationScope[];
}
