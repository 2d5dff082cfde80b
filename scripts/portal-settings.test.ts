import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPortFree, portalSettings, PortalSettingsError } from './portal-settings';

let dir: string;
const DEFAULTS = ['/defaults/app-config.yaml'];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-settings-'));
  fs.writeFileSync(path.join(dir, 'a.yaml'), 'app: {}\n');
  fs.mkdirSync(path.join(dir, 'folder.yaml'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    portalSettings(env, DEFAULTS, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(PortalSettingsError);
    return (error as Error).message.split('\n');
  }
  throw new Error('no problem reported');
};

describe('the settings of npm run portal', () => {
  it('defaults to port 7007 and the local layers', () => {
    expect(portalSettings({}, DEFAULTS, dir)).toEqual({ port: 7007, configFiles: DEFAULTS });
  });

  it('takes a port from 1 to 65535 and config files relative to the working directory', () => {
    for (const port of ['1', '8080', '65535']) {
      expect(portalSettings({ PORT: port }, DEFAULTS, dir).port).toBe(Number(port));
    }
    expect(portalSettings({ PORTAL_CONFIG: ` a.yaml,${dir}/a.yaml` }, DEFAULTS, dir)).toEqual({
      port: 7007,
      configFiles: [path.join(dir, 'a.yaml'), path.join(dir, 'a.yaml')],
    });
  });

  it.each(['abc', '0', '65536', '99999', '-1', '80.5', '0x50', ' 80', '1e3', '008080'])(
    'refuses PORT=%j, naming the variable, the value and what is allowed',
    (value) => {
      expect(problems({ PORT: value })).toEqual([
        `PORT=${JSON.stringify(value)} is not a port: use an integer from 1 to 65535, or unset for 7007`,
      ]);
    },
  );

  it('refuses an empty PORT and an empty PORTAL_CONFIG', () => {
    expect(problems({ PORT: '', PORTAL_CONFIG: ' ' })).toEqual([
      'PORT is set but empty: use an integer from 1 to 65535, or unset for 7007',
      'PORTAL_CONFIG is set but empty: use comma-separated paths of config files, or unset for the local layers',
    ]);
  });

  it('reports every missing file, folder and empty entry of PORTAL_CONFIG at once', () => {
    expect(problems({ PORTAL_CONFIG: 'a.yaml,missing.yaml,,folder.yaml' })).toEqual([
      `PORTAL_CONFIG: missing.yaml does not exist (${path.join(dir, 'missing.yaml')})`,
      'PORTAL_CONFIG="a.yaml,missing.yaml,,folder.yaml" has an empty entry (#3): use comma-separated paths of config files, or unset for the local layers',
      `PORTAL_CONFIG: folder.yaml is not a file (${path.join(dir, 'folder.yaml')})`,
    ]);
  });

  it('refuses a port something already listens on', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      await expect(checkPortFree(port)).rejects.toThrow(
        new PortalSettingsError(
          `PORT=${port} is in use: stop what listens there or choose another PORT`,
        ),
      );
    } finally {
      server.close();
    }
    await expect(checkPortFree(port)).resolves.toBeUndefined();
  });
});
