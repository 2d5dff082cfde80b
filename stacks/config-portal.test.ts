/**
 * The portal's per-stack title and organization name: what the stack configuration accepts, what
 * it refuses (with the key, the value and what is allowed), and what the portal then reads, through
 * Backstage's own config loader, from the layer the stack generates.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSources, FileConfigSource } from '@backstage/config-loader';
import { describe, expect, it } from 'vitest';
import { readConfigLayer } from '../infra/backstage-config';
import { configLayerFiles, STACK_CONFIG_LAYER } from '../infra/backstage-spec';
import { portalSpec, stackArgs } from '../testing/dev-args';
import { ConfigError, parseConfig } from './config';

const minimal = {
  baseDomain: 'idp.example.com',
  gitlabAdminToken: 'glpat-test-token-value',
};

function problems(raw: Record<string, string>): readonly string[] {
  try {
    parseConfig({ ...minimal, ...raw });
  } catch (e) {
    return (e as ConfigError).problems;
  }
  return [];
}

/** `app.title` and `organization.name` as the backend reads them from the stack's layer. */
async function readBack(portalTitle: string, organizationName: string) {
  const args = stackArgs().backstage!;
  const layer = configLayerFiles({ ...args, portalTitle, organizationName }).find(
    (l) => l.file === STACK_CONFIG_LAYER,
  )!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-layer-'));
  try {
    const file = path.join(dir, layer.file);
    fs.writeFileSync(file, layer.content);
    // The loader's own substitution of `${VAR}`, from an environment that has each name asked for.
    const config = await ConfigSources.toConfig(
      FileConfigSource.create({
        path: file,
        watch: false,
        substitutionFunc: (name) => Promise.resolve(`<env ${name}>`),
      }),
    );
    const read = {
      title: config.getString('app.title'),
      organization: config.getString('organization.name'),
    };
    config.close();
    return read;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the portal's title and organization name", () => {
  it("default to the base layer's, which npm run portal shows", () => {
    const base = readConfigLayer('app-config.yaml') as {
      app: { title: string };
      organization: { name: string };
    };
    const config = parseConfig(minimal);
    expect(config.portalTitle).toBe(base.app.title);
    expect(config.organizationName).toBe(base.organization.name);
    const layer = portalSpec().layers.find((l) => l.layer.file === STACK_CONFIG_LAYER)!;
    expect(layer.layer.content).toContain(`title: ${base.app.title}`);
  });

  it('accept any printable text of 1 to 80 characters', () => {
    for (const value of [
      'ACME',
      'Portail des développeurs',
      'Dev & Ops: "portal" #1',
      'x'.repeat(80),
      '平台 🚀',
    ]) {
      expect(problems({ portalTitle: value, organizationName: value }), value).toEqual([]);
      expect(parseConfig({ ...minimal, portalTitle: value }).portalTitle).toBe(value);
    }
  });

  it('refuse blank, too long and control characters, naming the key, the value and what is allowed', () => {
    for (const key of ['portalTitle', 'organizationName']) {
      for (const value of ['', '   ', 'x'.repeat(81), 'two\nlines', 'tab\there', 'bell\u0007']) {
        const found = problems({ [key]: value });
        expect(found, JSON.stringify(value)).toHaveLength(1);
        expect(found[0]).toMatch(
          new RegExp(
            `^platform:${key}(: .+ is not allowed|.* is required); expected a (title|name) of 1 to 80 characters, not blank, without control characters, such as "[^"]+"$`,
          ),
        );
        if (value !== '') expect(found[0]).toContain(JSON.stringify(value));
      }
    }
  });

  it('reach the portal unchanged, also text Backstage would read as a variable', async () => {
    for (const [title, organization] of [
      ['ACME developer portal', 'ACME'],
      ['Costs in ${USD}', 'a $${literal} and $ {spaced}'],
      ['${HOME}${HOME}', '$$${x}'],
      ['{{ .Values.x }} # not a comment: yes', '\'quoted\' "twice"'],
    ]) {
      expect(await readBack(title, organization)).toEqual({ title, organization });
    }
  });
});
