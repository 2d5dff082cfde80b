import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { versions } from '../infra/versions';
import { ADDONS, CONFIG_KEYS, ConfigError, configSchema, parseConfig, PROJECT } from './config';

const root = path.resolve(__dirname, '..');
const minimal = {
  baseDomain: 'idp.example.com',
  backstageImageRepository: 'ghcr.io/acme/platform-portal',
  backstageImageTag: '0.1.0',
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

  it('reports every problem at once, naming key, value and what is allowed', () => {
    expect(
      problems({
        baseDomain: 'Not A Domain',
        gitlabUrl: 'https://gitlab.example.com/',
        gitlabCustomersGroup: 'Acme/Customers',
        backstageImageTag: 'latest',
        databaseInstances: 'three',
        databaseStorageSize: '10GB',
        databaseBackupEnabled: 'yes',
        crossplaneChartVersion: '1.20.0',
        enabledAddons: '["kro","istio"]',
        storageClassName: 'fast_ssd',
      }),
    ).toEqual([
      'platform:baseDomain: "Not A Domain" is not allowed; expected a DNS name such as "idp.example.com"',
      'platform:storageClassName: "fast_ssd" is not allowed; expected the name of a StorageClass',
      'platform:gitlabUrl: "https://gitlab.example.com/" is not allowed; expected an https URL without path or trailing slash, such as "https://gitlab.example.com"',
      'platform:gitlabCustomersGroup: "Acme/Customers" is not allowed; expected a GitLab group path of lowercase DNS-label segments, such as "acme/platform"',
      'platform:backstageImageRepository is required; expected an image repository such as "ghcr.io/acme/platform-portal"',
      'platform:backstageImageTag: "latest" is not allowed; expected an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
      'platform:databaseInstances: "three" is not allowed; expected an integer from 1 to 9',
      'platform:databaseStorageSize: "10GB" is not allowed; expected a size in Gi such as "10Gi"',
      'platform:databaseBackupEnabled: "yes" is not allowed; expected true or false',
      'platform:crossplaneChartVersion: "1.20.0" is not allowed; expected an exact version of the supported 2.3.x line, such as "2.3.4"',
      'platform:enabledAddons: "[\\"kro\\",\\"istio\\"]" is not allowed; expected a list of add-ons from ["crossplane","kro","cloudnativePg","backstage"]',
    ]);
  });

  it('requires the keys without defaults', () => {
    expect(problems({})).toEqual([
      'platform:baseDomain is required; expected a DNS name such as "idp.example.com"',
      'platform:backstageImageRepository is required; expected an image repository such as "ghcr.io/acme/platform-portal"',
      'platform:backstageImageTag is required; expected an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
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
      `platform:baseDomain: "${long}" is not allowed; expected a domain under which "backstage.<baseDomain>" is a valid host name`,
    ]);
    expect(
      parseConfig({ ...minimal, baseDomain: long, backstageHost: 'portal.example.com' })
        .backstageHost,
    ).toBe('portal.example.com');
  });

  it('declares exactly these keys in Pulumi.yaml, with the same defaults', () => {
    const project = parse(fs.readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8')) as {
      name: string;
      config: Record<string, { type: string; default?: unknown; description: string }>;
    };
    expect(project.name).toBe(PROJECT);
    expect(Object.keys(project.config).sort()).toEqual([...CONFIG_KEYS].sort());
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
    const stack = parse(fs.readFileSync(path.join(root, 'Pulumi.dev.yaml'), 'utf8')) as {
      config: Record<string, unknown>;
    };
    const raw = Object.fromEntries(
      Object.entries(stack.config).map(([k, v]) => [
        k.replace(`${PROJECT}:`, ''),
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    );
    const c = parseConfig(raw);
    expect(c.backstageHost).toBe('backstage.idp.dev.example.com');
    expect(c.databaseInstances).toBe(1);
    expect(JSON.stringify(stack)).not.toMatch(/secure|token|password/i);
  });
});
