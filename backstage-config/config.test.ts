import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigSchema } from '@backstage/config-loader';
import { portalConfigSchema } from './backend/src/launch';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_CONFIG_LAYERS, stackConfigLayer, STACK_CONFIG_LAYER } from '../infra/backstage-spec';
import { PORTAL_TEST_ENV } from '../testing/portal-env';
import {
  loadConfigLayers,
  referencedEnv,
  substitute,
  validateBackstageConfig,
} from '../testing/backstage-config';
import { filesUnder } from '../testing/scaffolder';

const ENV: Record<string, string> = { ...PORTAL_TEST_ENV };
const LAYERS = [...APP_CONFIG_LAYERS];

/** The stack's generated layer, without a bucket (local TechDocs) and with one (S3). */
const STACK_LAYERS = {
  local: stackConfigLayer({
    techdocs: { volumeSize: '5Gi' },
    adminGroups: ['group:default/platform-team'],
    portalTitle: 'ACME developer portal',
    organizationName: 'ACME',
  }),
  s3: stackConfigLayer({
    techdocs: {
      volumeSize: '5Gi',
      bucket: {
        name: 'acme-techdocs',
        region: 'eu-west-1',
        endpoint: 'https://minio.example.com',
        credentialsSecret: 'techdocs-s3',
      },
    },
    adminGroups: ['group:default/platform-team'],
  }),
};
const S3_ENV = { TECHDOCS_ACCESS_KEY_ID: 'test-key-id', TECHDOCS_SECRET_ACCESS_KEY: 'test-key' };

/** The backend package the portal image is built from: its dependencies are the plugins. */
const BACKEND_PACKAGE = path.join(__dirname, 'backend', 'package.json');

describe("the portal configuration, through Backstage's own config loader", () => {
  let schema: ConfigSchema;
  beforeAll(async () => {
    // The backend's own schema: its plugins' and modules' schemas, unknown keys as errors.
    schema = await portalConfigSchema();
  }, 60_000);

  const appConfigs = (stack: Record<string, unknown>, env: Record<string, string>) => [
    ...LAYERS.map((file) => ({
      context: file,
      data: substitute(parse(fs.readFileSync(path.join(__dirname, file), 'utf8')), env) as any,
    })),
    { context: STACK_CONFIG_LAYER, data: substitute(stack, env) as any },
  ];

  it.each(Object.keys(STACK_LAYERS))(
    'loads every layer cleanly with the stack layer for %s TechDocs',
    (variant) => {
      const env = { ...ENV, ...S3_ENV };
      expect(() =>
        schema.process(appConfigs(STACK_LAYERS[variant as keyof typeof STACK_LAYERS], env)),
      ).not.toThrow();
    },
  );

  it('loads the local-development layer cleanly, the only one with guest sign-in', () => {
    const env = { PORTAL_DB_PORT: '5432', PORTAL_DB_USER: 'postgres', PORTAL_DB_PASSWORD: 'test' };
    expect(referencedEnv('app-config.local.yaml')).toEqual(Object.keys(env).sort());
    const local = ['app-config.yaml', 'app-config.local.yaml'].map((file) => ({
      context: file,
      data: substitute(parse(fs.readFileSync(path.join(__dirname, file), 'utf8')), env) as any,
    }));
    expect(() => schema.process(local)).not.toThrow();
    expect(local[1].data.auth.environment).toBe('development');
    expect(Object.keys(local[1].data.auth.providers)).toEqual(['guest']);
  });

  it('rejects unknown keys and wrong types with the key named', () => {
    const configs = appConfigs(STACK_LAYERS.local, ENV);
    const typo = structuredClone(configs);
    typo[1].data.techdoc = { builder: 'local' };
    expect(() => schema.process(typo)).toThrow(/techdoc/);
    const wrongType = structuredClone(configs);
    wrongType[1].data.kubernetes.serviceLocatorMethod.type = 'everywhere';
    expect(() => schema.process(wrongType)).toThrow(/serviceLocatorMethod/);
    const policy = structuredClone(configs);
    policy[2].data.platform.permissions.adminGroups = ['platform-team'];
    expect(() => schema.process(policy)).toThrow(/adminGroups/);
  });
});

describe('the portal configuration', () => {
  const config = loadConfigLayers(LAYERS, ENV) as any;

  it('validates against the config schemas of the Backstage packages it configures', async () => {
    expect(await validateBackstageConfig(config)).toEqual([]);
  }, 60_000);

  it('reports unknown keys and wrong types in what a package owns', async () => {
    const broken = structuredClone(config);
    broken.integrations.gitlab[0].tokn = 'x';
    broken.catalog.providers.gitlab.platform.orgEnabld = true;
    broken.backend.database.pluginDivisonMode = 'schema';
    broken.auth.providers.gitlab.production.signIn = { resolvers: [{ resolver: 'anyone' }] };
    const problems = (await validateBackstageConfig(broken)).join('\n');
    expect(problems).toMatch(
      /\/integrations\/gitlab\/0 must NOT have additional properties \(tokn\)/,
    );
    expect(problems).toMatch(/platform must NOT have additional properties \(orgEnabld\)/);
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
        token: ENV.GITLAB_TOKEN,
      },
    ]);
    for (const provider of Object.values<any>(config.catalog.providers.gitlab)) {
      expect(provider).toMatchObject({ host: 'gitlab.example.com', group: 'acme-platform' });
      expect(provider.schedule.frequency).toBeDefined();
    }
    // One entry: discovery and org ingestion (catalog-providers.test.ts runs the modules on it).
    expect(config.catalog.providers.gitlab.platform).toMatchObject({
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
    for (const file of [...LAYERS, 'app-config.local.yaml']) {
      expect(
        visit(parse(fs.readFileSync(path.join(__dirname, file), 'utf8')), file, []),
        file,
      ).toEqual([]);
    }
    expect(referencedEnv('app-config.production.yaml')).toEqual(Object.keys(ENV).sort());
  });

  it('has no secret-looking literal in any file of backstage-config/', () => {
    // Token prefixes and key material, assembled so that this file does not contain them.
    const secretLike = new RegExp(
      [
        ['gl', 'pat-'],
        ['gl', 'oas-'],
        ['gl', 'agent-'],
        ['-----BEGIN', ' '],
        ['AK', 'IA[0-9A-Z]{16}'],
      ]
        .map((parts) => parts.join(''))
        .join('|'),
    );
    const files = Object.keys(filesUnder(__dirname)).map((f) => path.join(__dirname, f));
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      expect(fs.readFileSync(file, 'utf8'), path.relative(__dirname, file)).not.toMatch(secretLike);
    }
  });

  it('enables no guest sign-in and no dangerous option in production, in any layer the cluster reads', () => {
    for (const text of [
      fs.readFileSync(path.join(__dirname, 'app-config.production.yaml'), 'utf8'),
      JSON.stringify(STACK_LAYERS),
    ]) {
      expect(text).not.toMatch(/dangerously|guest/i);
    }
    expect(config.permission).toEqual({ enabled: true });
    expect(config.backend.reading.allow).toEqual([{ host: 'gitlab.example.com' }]);
    expect(config.backend.auth.externalAccess).toEqual([
      {
        type: 'static',
        options: { token: ENV.BACKEND_EXTERNAL_ACCESS_TOKEN, subject: 'platform-ci' },
        // Read-only catalog access for CI (the end-to-end test proves what it is refused).
        accessRestrictions: [
          {
            plugin: 'catalog',
            permission: ['catalog.entity.read', 'catalog.location.read', 'catalog.entity.validate'],
          },
        ],
      },
    ]);
  });
});

describe('the README', () => {
  it('lists every package of the portal image with its pinned version', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Portal image'));
    const deps = (file: string): [string, string][] =>
      Object.entries(
        (JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies: Record<string, string> })
          .dependencies,
      );
    for (const [name, version] of [
      ...deps(BACKEND_PACKAGE),
      ...deps(path.join(__dirname, 'app', 'package.json')),
    ]) {
      expect(section, name).toMatch(
        new RegExp(`\\| \`${name}\` +\\| ${version.replaceAll('.', '\\.')} +\\|`),
      );
    }
  });
});
