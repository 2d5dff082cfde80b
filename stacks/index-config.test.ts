import { describe, expect, it } from 'vitest';
import { ConfigError } from './config';
import { runUnderMocks } from '../testing/pulumi-mocks';

// Its own file: Pulumi's runtime is global, one program run per test file.
describe('the platform stack with a broken configuration', () => {
  it('reports every problem, of every kind, before it declares any resource', async () => {
    const declared: string[] = [];
    const run = runUnderMocks({
      stack: 'broken',
      config: {
        'platform:baseDomain': 'Not A Domain',
        'platform:enabledAddons': '["crossplane","backstage"]',
        'platfrom:tlsClusterIssuer': 'letsencrypt',
      },
      onRegister: (type, name) => declared.push(`${type}::${name}`),
      load: () => import('./index'),
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'platfrom:tlsClusterIssuer is not allowed: "platfrom" is not a namespace of this stack; its settings are platform:<key> (did you mean platform:tlsClusterIssuer?), and pulumi:<key> for the engine',
      'platform:baseDomain: "Not A Domain" is not allowed; expected a DNS name such as "idp.example.com"',
      'platform:enabledAddons: ["crossplane","backstage"] is not allowed; the backstage add-on needs cloudnativePg (its database)',
      'platform:enabledAddons: ["crossplane","backstage"] is not allowed; the backstage add-on needs gitlab (its sign-in)',
    ]);
    expect(declared).toEqual([]);
  });
});
