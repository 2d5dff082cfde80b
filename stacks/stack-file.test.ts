import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStackConfig, SECRET_MARKER, StackFileError } from './stack-file';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-file-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let n = 0;
/** Writes `yaml` to a fresh stack file and reads it. */
function read(yaml: string): Record<string, string> {
  const file = path.join(work, `Pulumi.s${++n}.yaml`);
  fs.writeFileSync(file, yaml);
  return readStackConfig(file);
}

/** The problems of a stack file that cannot be read, with the file name left out. */
function problems(yaml: string): readonly string[] {
  try {
    read(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(StackFileError);
    return (e as StackFileError).problems.map((p) => p.replace(/^.*Pulumi\.s\d+\.yaml/, 'FILE'));
  }
  throw new Error('expected a StackFileError');
}

describe('stack files', () => {
  it('reads config as the Pulumi CLI passes it to the program', () => {
    expect(
      read(
        [
          'secretsprovider: passphrase',
          'encryptionsalt: v1:abc',
          'config:',
          '  platform:baseDomain: idp.example.com',
          // No namespace: the project's (LoadProjectStackBytes, stackConfigNamespacedWithProject).
          '  ingressClassName: traefik',
          // The old `<ns>:config:<name>` form (ParseKey).
          '  platform:config:tlsSecretName: portal-tls',
          '  platform:databaseInstances: 3',
          '  platform:databaseBackupEnabled: false',
          // No value: "treated as an empty string" (checkForEmptyConfig).
          '  platform:storageClassName:',
          '  platform:enabledAddons: [crossplane, kro]',
          '  platform:gitlabAdminToken:',
          '    secure: v1:AAAA',
          '  pulumi:tags: { team: platform }',
          '',
        ].join('\n'),
      ),
    ).toEqual({
      'platform:baseDomain': 'idp.example.com',
      'platform:ingressClassName': 'traefik',
      'platform:tlsSecretName': 'portal-tls',
      'platform:databaseInstances': '3',
      'platform:databaseBackupEnabled': 'false',
      'platform:storageClassName': '',
      'platform:enabledAddons': '["crossplane","kro"]',
      'platform:gitlabAdminToken': SECRET_MARKER,
      'pulumi:tags': '{"team":"platform"}',
    });
    expect(read('config:\n')).toEqual({});
  });

  it('names the file, line and column of what it cannot read', () => {
    expect(problems('config:\n  platform:baseDomain: a: b\n')).toEqual([
      'FILE:2:24: not valid YAML: Nested mappings are not allowed in compact mappings',
    ]);
    expect(problems('config:\n  platform:a: 1\n  platform:a: 2\n')).toEqual([
      'FILE:3:3: not valid YAML: Map keys must be unique',
    ]);
    expect(problems('')).toEqual([
      'FILE:1:1: the stack file is empty; expected a map with `config:` holding at least platform:baseDomain',
    ]);
    expect(problems('# to do\n')).toEqual(problems(''));
    expect(problems('\n\n- a\n')).toEqual([
      'FILE:3:1: expected a map with `config:` (a stack file), found a list',
    ]);
    expect(problems('platform:baseDomain\n')).toEqual([
      'FILE:1:1: expected a map with `config:` (a stack file), found the string "platform:baseDomain"',
    ]);
    expect(problems('config:\n  - platform:baseDomain: x\n')).toEqual([
      'FILE:2:3: config: expected a map of <namespace>:<key> settings, found a list',
    ]);
    expect(
      problems(
        'conifg:\n  platform:baseDomain: x\nenvironment: [dev]\nconfig:\n  a:b:c: 1\n  1: 2\n  baseDomain: x\n  platform:baseDomain: y\n',
      ),
    ).toEqual([
      'FILE:1:1: "conifg" is not a stack file key; expected config, secretsprovider, encryptedkey, encryptionsalt',
      'FILE:3:1: environment: Pulumi ESC environments cannot be read offline; set the values under config: instead',
      'FILE:5:3: "a:b:c" is not a configuration key; expected <namespace>:<key>, such as platform:baseDomain',
      'FILE:6:3: 1 is not a configuration key; expected <namespace>:<key>, such as platform:baseDomain',
      'FILE:8:3: platform:baseDomain is set twice',
    ]);
    expect(() => readStackConfig(path.join(work, 'Pulumi.none.yaml'))).toThrow(
      /Pulumi\.none\.yaml: no such stack file$/,
    );
  });
});
