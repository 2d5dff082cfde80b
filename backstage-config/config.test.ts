import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  loadConfigLayers,
  referencedEnv,
  validateBackstageConfig,
} from '../testing/backstage-config';

const ENV: Record<string, string> = {
  BACKSTAGE_BASE_URL: 'https://backstage.example.com',
  POSTGRES_HOST: 'portal-db-rw.backstage.svc',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'backstage',
  POSTGRES_PASSWORD: 'test-password',
  POSTGRES_DB: 'backstage',
  AUTH_GITLAB_CLIENT_ID: 'client-id',
  AUTH_GITLAB_CLIENT_SECRET: 'client-secret',
  GITLAB_URL: 'https://gitlab.example.com',
  GITLAB_HOST: 'gitlab.example.com',
  GITLAB_PLATFORM_GROUP: 'acme-platform',
  GITLAB_CLAIMS_PROJECT: 'claims',
  GITLAB_CUSTOMERS_GROUP: 'acme-platform/customers',
  GITLAB_CUSTOMERS_GROUP_ENTITY: 'customers',
  GITLAB_TOKEN: 'glpat-test',
  GITLAB_SCAFFOLDER_TOKEN: 'glpat-test-scaffolder',
};
const LAYERS = ['app-config.yaml', 'app-config.production.yaml'];

describe('the portal configuration', () => {
  const config = loadConfigLayers(LAYERS, ENV) as any;

  it('validates against the config schemas of the Backstage packages it configures', () => {
    expect(validateBackstageConfig(config)).toEqual([]);
  });

  it('reports unknown keys and wrong types in what a package owns', () => {
    const broken = structuredClone(config);
    broken.integrations.gitlab[0].tokn = 'x';
    broken.catalog.providers.gitlab.platformOrg.orgEnabld = true;
    broken.backend.database.pluginDivisonMode = 'schema';
    broken.auth.providers.gitlab.production.signIn = { resolvers: [{ resolver: 'anyone' }] };
    const problems = validateBackstageConfig(broken).join('\n');
    expect(problems).toMatch(
      /\/integrations\/gitlab\/0 must NOT have additional properties \(tokn\)/,
    );
    expect(problems).toMatch(/platformOrg must NOT have additional properties \(orgEnabld\)/);
    expect(problems).toMatch(
      /\/backend\/database must NOT have additional properties \(pluginDivisonMode\)/,
    );
    expect(problems).toMatch(/\/auth\/providers\/gitlab\/production\/signIn\/resolvers\/0/);
  });

  it('runs on PostgreSQL with one schema per plugin in production', () => {
    expect(config.backend.database).toMatchObject({ client: 'pg', pluginDivisionMode: 'schema' });
  });

  it('signs in with GitLab only, only people the catalog knows', () => {
    const gitlab = config.auth.providers.gitlab.production;
    expect(config.auth.environment).toBe('production');
    expect(Object.keys(config.auth.providers)).toEqual(['gitlab']);
    expect(gitlab.signIn.resolvers).toEqual([{ resolver: 'usernameMatchingUserEntityName' }]);
    expect(gitlab.audience).toBe(ENV.GITLAB_URL);
    for (const file of LAYERS) {
      expect(fs.readFileSync(path.join(__dirname, file), 'utf8'), file).not.toMatch(
        /dangerously|guest/i,
      );
    }
  });

  it('reads GitLab with the stack-provided token, discovers and ingests only the platform group', () => {
    expect(config.integrations.gitlab).toEqual([
      {
        host: 'gitlab.example.com',
        apiBaseUrl: 'https://gitlab.example.com/api/v4',
        token: 'glpat-test',
      },
    ]);
    for (const provider of Object.values<any>(config.catalog.providers.gitlab)) {
      expect(provider).toMatchObject({ host: 'gitlab.example.com', group: 'acme-platform' });
      expect(provider.schedule.frequency).toBeDefined();
    }
    expect(config.catalog.providers.gitlab.platformOrg).toMatchObject({
      orgEnabled: true,
      restrictUsersToGroup: true,
    });
  });

  it('holds no credential literally: every secret-bearing key is an ${ENV} reference', () => {
    const visit = (node: unknown, at: string, found: string[]): string[] => {
      if (node !== null && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (
            /password|secret|token|clientId/i.test(k) &&
            typeof v === 'string' &&
            !/^\$\{[A-Z_]+\}$/.test(v)
          ) {
            found.push(`${at}.${k}`);
          }
          visit(v, `${at}.${k}`, found);
        }
      }
      return found;
    };
    for (const file of LAYERS) {
      expect(
        visit(parse(fs.readFileSync(path.join(__dirname, file), 'utf8')), file, []),
        file,
      ).toEqual([]);
    }
    expect(referencedEnv('app-config.production.yaml')).toEqual(Object.keys(ENV).sort());
  });
});
