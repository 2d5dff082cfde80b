import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { versions } from '../versions';
import {
  ADDONS,
  CONFIG_KEYS,
  ConfigError,
  configSchema,
  OBJECT_KEYS,
  parseConfig,
  parseStackConfig,
  projectSettings,
  PROJECT,
  SECRET_KEYS,
} from './config';
import { readStackConfig } from './stack-file';

const root = path.resolve(__dirname, '..');
const minimal = {
  baseDomain: 'idp.example.com',
  backstageImageRepository: 'ghcr.io/acme/platform-portal',
  backstageImageTag: '0.1.0',
  gitlabAdminToken: 'glpat-test-token-value',
};

function problems(raw: Record<string, string | undefined>): readonly string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(pulumi.RunError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('stack configuration', () => {
  it('fills in defaults and derives the portal host', () => {
    const c = parseConfig(minimal);
    expect(c).toMatchObject({
      baseDomain: 'idp.example.com',
      backstageHost: 'backstage.idp.example.com',
      ingressClassName: 'nginx',
      gitlabUrl: 'https://gitlab.com',
      gitlabCustomersGroup: 'platform/customers',
      databaseInstances: 2,
      databaseBackupEnabled: false,
      crossplaneChartVersion: versions.crossplane.chart,
      kroChartVersion: versions.kro.chart,
      cloudnativePgChartVersion: versions.cloudnativePg.chart,
      backstageChartVersion: versions.backstage.chart,
      enabledAddons: [...ADDONS],
    });
  });

  it('is frozen, all the way down', () => {
    const c = parseConfig(minimal);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.enabledAddons)).toBe(true);
  });

  it('reports every problem at once, per key and between keys, naming key, value and what is allowed', () => {
    expect(
      problems({
        baseDomain: 'Not A Domain',
        gitlabUrl: 'https://gitlab.example.com/',
        gitlabCustomersGroup: 'Acme/Customers',
        backstageImageRepository: 'acme/platform-portal',
        backstageImageTag: 'latest',
        databaseInstances: 'three',
        databaseStorageSize: '10GB',
        crossplaneChartVersion: '1.20.0',
        enabledAddons: '["kro","backstage"]',
        storageClassName: 'fast_ssd',
        gitlabPlatformGroup: 'acme/platform',
        databaseBackupEnabled: 'true',
        techdocsBucket: 'acme-docs',
      }),
    ).toEqual([
      // The keys' own rules, in the order of the configuration reference.
      'platform:baseDomain: "Not A Domain" is not allowed; expected a DNS name such as "idp.example.com"',
      'platform:storageClassName: "fast_ssd" is not allowed; expected the name of a StorageClass',
      'platform:gitlabUrl: "https://gitlab.example.com/" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
      'platform:gitlabCustomersGroup: "Acme/Customers" is not allowed; expected a GitLab group path of lowercase DNS-label segments, such as "acme/platform"',
      // Without a registry, the chart's values would take "acme" for one.
      'platform:backstageImageRepository: "acme/platform-portal" is not allowed; expected an image repository with its registry and without tag, such as "ghcr.io/acme/platform-portal"',
      'platform:backstageImageTag: "latest" is not allowed; expected an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
      'platform:databaseInstances: "three" is not allowed; expected an integer from 1 to 9',
      'platform:databaseStorageSize: "10GB" is not allowed; expected a size in Gi such as "10Gi"',
      'platform:crossplaneChartVersion: "1.20.0" is not allowed; expected an exact version of the supported 2.3.x line, such as "2.3.4"',
      // The rules between keys, in the same pass (those that read an invalid key cannot be
      // decided: gitlabCustomersGroup's direct-subgroup rule is not reported).
      'platform:enabledAddons: ["kro","backstage"] is not allowed; the backstage add-on needs cloudnativePg (its database)',
      'platform:enabledAddons: ["kro","backstage"] is not allowed; the backstage add-on needs gitlab (its sign-in)',
      'platform:databaseBackupDestinationPath is required when databaseBackupEnabled is true',
      'platform:databaseBackupCredentialsSecret is required when databaseBackupEnabled is true',
      'platform:techdocsCredentialsSecret is required when techdocsBucket is set (a Secret with TECHDOCS_ACCESS_KEY_ID and TECHDOCS_SECRET_ACCESS_KEY)',
    ]);
    // A rule that reads an invalid key is not decided on it: only the key's own problem.
    expect(
      problems({ ...minimal, databaseBackupEnabled: 'yes', enabledAddons: '["kro","istio"]' }),
    ).toEqual([
      'platform:databaseBackupEnabled: "yes" is not allowed; expected true or false',
      'platform:enabledAddons[1]: "istio" is not allowed; expected one of crossplane, kro, cloudnativePg, backstage, gitlab',
    ]);
  });

  it('bounds the configured group paths at 32 characters, the budget the templates derive from', () => {
    const paths = {
      gitlabPlatformGroup: 'p'.repeat(16),
      gitlabPlatformTeamGroup: `${'p'.repeat(16)}/${'t'.repeat(15)}`,
      gitlabCustomersGroup: `${'p'.repeat(16)}/${'c'.repeat(15)}`,
    };
    expect(parseConfig({ ...minimal, ...paths }).gitlabCustomersGroup).toHaveLength(32);
    expect(
      problems({
        ...minimal,
        ...paths,
        gitlabCustomersGroup: `${'p'.repeat(16)}/${'c'.repeat(16)}`,
      }),
    ).toEqual([
      `platform:gitlabCustomersGroup: "${'p'.repeat(16)}/${'c'.repeat(16)}" is not allowed; expected a GitLab group path of at most 32 characters (the portal's templates append names to it)`,
    ]);
  });

  it('refuses a GitLab URL with a port, which no catalog annotation key can hold', () => {
    expect(problems({ ...minimal, gitlabUrl: 'https://gitlab.example.com:8443' })).toEqual([
      `platform:gitlabUrl: "https://gitlab.example.com:8443" is not allowed; expected an https URL without a port: the portal's catalog names annotations after the GitLab host, and a port makes them invalid`,
    ]);
  });

  it('requires the keys without defaults', () => {
    expect(problems({})).toEqual([
      'platform:baseDomain is required; expected a DNS name such as "idp.example.com"',
      'platform:gitlabAdminToken is required for the gitlab add-on; set it with `pulumi config set --secret gitlabAdminToken`',
    ]);
  });

  it("words every problem itself: key, value and what is allowed, never the validator's wording", () => {
    // Raw values are strings, so type errors come from the JSON keys' contents.
    const bad: Record<string, string[]> = {
      enabledAddons: ['5', '"kro"', '{}', 'null', '[1]', '[null]', '[[]]', 'kro', '[true]'],
      gitlabCustomerGroups: [
        '5',
        '{}',
        '"team-a"',
        '[5]',
        '[null]',
        '[{}]',
        '[[]]',
        '[{"path":1,"name":2,"visibility":3,"members":4}]',
        '[{"path":"a","name":"A","members":[5]}]',
        '[{"path":"a","name":"A","members":[{}]}]',
        '[{"path":"a","name":"A","members":[{"userId":"7","accessLevel":1}]}]',
        '[{"path":"a","name":"A","members":[{"userId":1.5,"accessLevel":"owner","role":1}]}]',
        '[{"path":"a","name":"A","members":[{"userId":-1,"accessLevel":"owner"}]}]',
        '[{"path":"a","name":"A","vis":"public"}]',
        `[{"path":"a","name":"${'x'.repeat(256)}"}]`,
      ],
      gitlabAdminToken: [''],
    };
    for (const key of CONFIG_KEYS) {
      bad[key] ??= [
        '',
        ' ',
        'UPPER_case',
        'x'.repeat(300),
        '\u{1F4A5}',
        '${x}',
        '-1',
        '1.5',
        'true',
      ];
    }
    const shape = new RegExp(
      '^platform:(?<at>[A-Za-z]+(\\[\\d+\\]|\\.[A-Za-z]+)*)(' +
        [
          ': (?<value>.+) is not allowed; (expected .+|the .+ add-on needs .+)',
          ' is not allowed \\(value not shown: it is secret\\); expected .+',
          ' is required(; expected .+| when .+| for .+)',
        ].join('|') +
        ')$',
    );
    let checked = 0;
    for (const [key, values] of Object.entries(bad)) {
      for (const value of values) {
        let found: readonly string[] = [];
        try {
          parseConfig({ ...minimal, [key]: value });
        } catch (e) {
          found = (e as ConfigError).problems;
        }
        for (const problem of found) {
          checked += 1;
          const match = shape.exec(problem);
          expect(match, problem).not.toBeNull();
          // The key fed, or one a rule between keys relates it to.
          expect(CONFIG_KEYS, problem).toContain(match!.groups!.at.split(/[[.]/)[0]);
          // Validator phrases (zod's) and our fallback for schemas that do not word themselves.
          expect(problem).not.toMatch(
            /Invalid (input|option|element)|received|Too (small|big)|Unrecognized|expected (string|number|object|array|boolean|nonoptional)\b|a value of type|a valid value/,
          );
          if (match!.groups!.value !== undefined && !key.includes('Token')) {
            expect(JSON.parse(match!.groups!.value), problem).not.toBeUndefined();
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(
      problems({
        ...minimal,
        gitlabCustomerGroups:
          '[{"path":"a","name":"A","vis":"public","members":[{"userId":"7","accessLevel":"owner"}]}]',
      }),
    ).toEqual([
      'platform:gitlabCustomerGroups[0].members[0].userId: "7" is not allowed; expected a GitLab user id (a positive integer)',
      'platform:gitlabCustomerGroups[0].vis: "public" is not allowed; expected one of the fields of a customer group: path, name, visibility, members',
    ]);
  });

  it('rejects unknown keys, out-of-range numbers, duplicates and a host name too long to derive', () => {
    expect(problems({ ...minimal, basedomain: 'x' })[0]).toMatch(
      /^platform:basedomain is not a known setting; known settings: baseDomain, /,
    );
    expect(problems({ ...minimal, databaseInstances: '0' })).toEqual([
      'platform:databaseInstances: "0" is not allowed; expected an integer from 1 to 9',
    ]);
    expect(problems({ ...minimal, databaseInstances: '1.5' })).toEqual([
      'platform:databaseInstances: "1.5" is not allowed; expected an integer from 1 to 9',
    ]);
    expect(problems({ ...minimal, enabledAddons: '["kro","kro"]' })).toEqual([
      'platform:enabledAddons: "[\\"kro\\",\\"kro\\"]" is not allowed; expected a list without duplicates',
    ]);
    expect(problems({ ...minimal, kroChartVersion: '0.9' })).toEqual([
      'platform:kroChartVersion: "0.9" is not allowed; expected an exact version of the supported 0.9.x line, such as "0.9.3"',
    ]);
    expect(parseConfig({ ...minimal, kroChartVersion: '0.9.4' }).kroChartVersion).toBe('0.9.4');
    const long = `${Array(4).fill('a'.repeat(60)).join('.')}.com`; // 247 characters
    expect(problems({ ...minimal, baseDomain: long })).toEqual([
      `platform:baseDomain: "${long}" is not allowed; expected a domain under which "backstage.<baseDomain>" is a valid host name (or set backstageHost)`,
    ]);
    expect(
      parseConfig({ ...minimal, baseDomain: long, backstageHost: 'portal.example.com' })
        .backstageHost,
    ).toBe('portal.example.com');
  });

  it("allows this project's namespace and the engine's, and refuses keys nothing would read", () => {
    const stack = (extra: Record<string, string>): readonly string[] => {
      try {
        parseStackConfig({
          'platform:baseDomain': 'idp.example.com',
          'platform:gitlabAdminToken': 'glpat-x',
          ...extra,
        });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(
      stack({ 'pulumi:disable-default-providers': '["*"]', 'pulumi:tags': '{"team":"a"}' }),
    ).toEqual([]);
    expect(
      stack({
        'platfrom:tlsClusterIssuer': 'letsencrypt',
        'acme:region': 'eu',
        'kubernetes:context': 'prod',
        'gitlab:baseUrl': 'https://gitlab.example.com/api/v4/',
        'random:x': 'y',
        'platform:databaseInstances': '12',
      }),
    ).toEqual([
      'platfrom:tlsClusterIssuer is not allowed: "platfrom" is not a namespace of this stack; its settings are platform:<key> (did you mean platform:tlsClusterIssuer?), and pulumi:<key> for the engine',
      'acme:region is not allowed: "acme" is not a namespace of this stack; its settings are platform:<key>, and pulumi:<key> for the engine',
      "kubernetes:context is not allowed: it would be ignored, since every Kubernetes resource uses the stack's explicit provider, set with platform:kubeContext",
      "gitlab:baseUrl is not allowed: it would be ignored, since every GitLab resource uses the stack's explicit provider, set with platform:gitlabUrl and platform:gitlabAdminToken",
      'random:x is not allowed: it would be ignored, since the random provider has no settings',
      'platform:databaseInstances: "12" is not allowed; expected an integer from 1 to 9',
    ]);
  });

  it('keeps every rule between keys out of the schema, so that all rules run in one pass', () => {
    // parseConfig parses key by key; an object-level refinement of configSchema would only run
    // once every key is valid, reporting its problems a run later. Such rules go in
    // stacks/config-rules.ts.
    expect(configSchema._zod.def.checks ?? []).toEqual([]);
  });

  it('validates customer groups item by item, naming the failing field', () => {
    const groups = (v: unknown): string => JSON.stringify(v);
    expect(
      problems({
        ...minimal,
        gitlabCustomerGroups: groups([
          { path: 'team-a', name: 'Team A', members: [{ userId: 7, accessLevel: 'admin' }] },
          { path: 'Team_B', name: '' },
          { path: 'team-a', name: 'Again' },
        ]),
      }),
    ).toEqual([
      'platform:gitlabCustomerGroups[0].members[0].accessLevel: "admin" is not allowed; expected one of guest, planner, reporter, developer, maintainer, owner',
      'platform:gitlabCustomerGroups[1].path: "Team_B" is not allowed; expected a group path segment: a DNS label such as "team-a"',
      'platform:gitlabCustomerGroups[1].name: "" is not allowed; expected a non-empty name',
    ]);
    expect(
      problems({
        ...minimal,
        gitlabCustomerGroups: groups([
          { path: 'a', name: 'A' },
          { path: 'a', name: 'B' },
        ]),
      }),
    ).toEqual([
      'platform:gitlabCustomerGroups[1].path: "a" is not allowed; expected a path not listed before',
    ]);
    const c = parseConfig({
      ...minimal,
      gitlabCustomerGroups: groups([{ path: 'team-a', name: 'Team A' }]),
    });
    expect(c.gitlabCustomerGroups).toEqual([
      { path: 'team-a', name: 'Team A', visibility: 'private', members: [] },
    ]);
  });

  it('requires the admin token for the gitlab add-on, never shows it, and keeps it out of the config', () => {
    const { gitlabAdminToken: _token, ...noToken } = minimal;
    expect(problems(noToken)).toEqual([
      'platform:gitlabAdminToken is required for the gitlab add-on; set it with `pulumi config set --secret gitlabAdminToken`',
    ]);
    expect(parseConfig({ ...noToken, enabledAddons: '["crossplane"]' }).enabledAddons).toEqual([
      'crossplane',
    ]);
    expect(problems({ ...minimal, gitlabAdminToken: '' })).toEqual([
      'platform:gitlabAdminToken is not allowed (value not shown: it is secret); expected a GitLab token',
    ]);
    expect(JSON.stringify(parseConfig(minimal))).not.toContain(minimal.gitlabAdminToken);
  });

  it('requires the team and customers groups directly under a top-level platform group', () => {
    expect(
      problems({
        ...minimal,
        gitlabPlatformGroup: 'acme/platform',
        gitlabCustomersGroup: 'elsewhere/customers',
      }),
    ).toEqual([
      'platform:gitlabPlatformGroup: "acme/platform" is not allowed; expected a top-level group path (one segment), which the stack creates',
      'platform:gitlabPlatformTeamGroup: "platform/platform-team" is not allowed; expected a direct subgroup of gitlabPlatformGroup, such as "acme/platform/platform-team"',
      'platform:gitlabCustomersGroup: "elsewhere/customers" is not allowed; expected a direct subgroup of gitlabPlatformGroup, such as "acme/platform/customers"',
    ]);
  });

  it('needs credentials for a TechDocs bucket, and a volume size otherwise', () => {
    expect(problems({ ...minimal, techdocsBucket: 'acme-docs' })).toEqual([
      'platform:techdocsCredentialsSecret is required when techdocsBucket is set (a Secret with TECHDOCS_ACCESS_KEY_ID and TECHDOCS_SECRET_ACCESS_KEY)',
    ]);
    expect(problems({ ...minimal, techdocsBucket: 'Acme_Docs', techdocsVolumeSize: '5G' })).toEqual(
      [
        'platform:techdocsBucket: "Acme_Docs" is not allowed; expected an S3 bucket name such as "acme-techdocs"',
        'platform:techdocsVolumeSize: "5G" is not allowed; expected a size in Gi such as "5Gi"',
      ],
    );
    expect(
      parseConfig({ ...minimal, techdocsBucket: 'acme-docs', techdocsCredentialsSecret: 'docs-s3' })
        .techdocsBucket,
    ).toBe('acme-docs');
  });

  it('declares exactly these keys in Pulumi.yaml, with the same defaults', () => {
    const project = parse(fs.readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8')) as {
      name: string;
      config: Record<string, { type: string; default?: unknown; description: string }>;
    };
    expect(project.name).toBe(PROJECT);
    expect(Object.keys(project.config).sort()).toEqual(
      CONFIG_KEYS.filter((k) => !(OBJECT_KEYS as readonly string[]).includes(k)).sort(),
    );
    // The shape Pulumi's project schema (sdk/go/common/workspace/project.json) allows.
    for (const [key, decl] of Object.entries(project.config)) {
      expect(['string', 'integer', 'boolean', 'array'], key).toContain(decl.type);
      expect(
        Object.keys(decl).filter(
          (k) => !['type', 'items', 'description', 'secret', 'default'].includes(k),
        ),
        key,
      ).toEqual([]);
      if (decl.type === 'array') {
        expect((decl as { items?: unknown }).items, key).toBeDefined();
      }
      expect(Boolean((decl as { secret?: boolean }).secret), key).toBe(
        (SECRET_KEYS as readonly string[]).includes(key),
      );
    }
    const defaults = configSchema.parse({ ...minimal });
    for (const [key, decl] of Object.entries(project.config)) {
      expect(decl.description, key).toBeTruthy();
      const ours = (defaults as Record<string, unknown>)[key];
      if (decl.default !== undefined) {
        expect(ours, key).toEqual(decl.default);
      } else if (!(key in minimal)) {
        expect(ours, key).toBeUndefined();
      }
    }
  });

  it('accepts the committed dev stack', () => {
    const file = path.join(root, 'Pulumi.dev.yaml');
    const raw = projectSettings(readStackConfig(file));
    // Secrets are set with `pulumi config set --secret`, never committed.
    expect(raw.gitlabAdminToken).toBeUndefined();
    const c = parseConfig({ ...raw, gitlabAdminToken: 'set-with-pulumi-config-set-secret' });
    expect(c.backstageHost).toBe('backstage.idp.dev.example.com');
    expect(c.databaseInstances).toBe(1);
    expect(JSON.stringify(parse(fs.readFileSync(file, 'utf8')))).not.toMatch(
      /secure|token|password/i,
    );
  });
});
