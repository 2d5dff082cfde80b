/**
 * `npm run portal` with broken settings or configuration, run as the command runs: it ends at once
 * with one clear message and has written or started nothing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../backstage-config/backend/src/launch';

const ROOT = path.resolve(__dirname, '..');
const PORTAL_ARGS = (() => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, ...args] = scripts.portal.split(' ');
  if (node !== 'node') throw new Error(`npm run portal does not run node: ${scripts.portal}`);
  return args;
})();

describe('npm run portal with a broken configuration', () => {
  /** Sized for a loaded two-core machine: Backstage's schema loading takes seconds there. */
  const RUN_TIMEOUT_MS = 60_000;
  const LOCAL_LAYERS = ['app-config.yaml', 'app-config.local.yaml'].map((f) =>
    path.join(ROOT, 'backstage-config', f),
  );
  /** What `npm run portal` keeps in .portal/ (names and modification times), or null. */
  const portalState = (): string[] | null => {
    const dir = path.join(ROOT, '.portal');
    if (!fs.existsSync(dir)) return null;
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .map((f) => `${f} ${fs.statSync(path.join(dir, f)).mtimeMs}`)
      .sort();
  };
  /** A free port, so that a portal running on this machine does not matter (PORT is checked). */
  let port: string;
  beforeAll(async () => {
    port = String(await freePort());
  });
  const runPortal = (env: NodeJS.ProcessEnv) => {
    const t0 = Date.now();
    const state = portalState();
    // What `npm run portal` runs (node and its arguments), without npm's own start.
    const run = spawnSync(process.execPath, PORTAL_ARGS, {
      cwd: ROOT,
      env: { ...process.env, PORT: port, ...env },
      timeout: RUN_TIMEOUT_MS,
    });
    // Nothing was written or started: PostgreSQL would have created or touched .portal/.
    expect(portalState()).toEqual(state);
    return {
      ...run,
      ms: Date.now() - t0,
      stderrText: run.stderr.toString(),
      firstLines: `${run.stderr.toString()}${run.stdout.toString()}`.slice(0, 800),
    };
  };

  it(
    "exits at once with Backstage's own errors, all of them: an unknown key and a required secret not set",
    () => {
      // One run for both (each loads Backstage's whole schema: seconds of CPU).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-broken-'));
      try {
        fs.writeFileSync(path.join(dir, 'typo.yaml'), 'backend:\n  databse:\n    client: pg\n');
        const run = runPortal({
          PORTAL_CONFIG: [
            ...['app-config.yaml', 'app-config.production.yaml'].map((f) =>
              path.join(ROOT, 'backstage-config', f),
            ),
            path.join(dir, 'typo.yaml'),
          ].join(','),
          BACKEND_EXTERNAL_ACCESS_TOKEN: undefined,
        });
        expect(run.status).toBe(1);
        expect(run.firstLines).toMatch(/^Config validation failed, /);
        expect(run.firstLines).toMatch(/additionalProperty=databse/);
        expect(run.firstLines).toContain(
          'missingProperty=token } at /backend/auth/externalAccess/0/options',
        );
        expect(run.ms).toBeLessThan(RUN_TIMEOUT_MS);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it.each([
    ['PORT', 'abc', /^PORT="abc" is not a port: use an integer from 1 to 65535/],
    ['PORT', '99999', /^PORT="99999" is not a port: use an integer from 1 to 65535/],
    ['PORT', '', /^PORT is set but empty: use an integer from 1 to 65535/],
    ['PORTAL_CONFIG', '', /^PORTAL_CONFIG is set but empty: use comma-separated paths/],
    [
      'PORTAL_CONFIG',
      'no-such-layer.yaml',
      /^PORTAL_CONFIG: no-such-layer\.yaml does not exist \(/,
    ],
  ])(
    'exits at once, in one line without a stack trace, for %s=%j',
    (name, value, message) => {
      const run = runPortal({
        PORTAL_CONFIG: LOCAL_LAYERS.join(','),
        [name]: value,
      });
      expect(run.status).toBe(1);
      expect(run.stdout.toString()).toBe('');
      expect(run.stderrText).toMatch(message);
      expect(run.stderrText.trimEnd().split('\n')).toHaveLength(1);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    'reports a bad PORT and a bad PORTAL_CONFIG together, one line each',
    () => {
      const run = runPortal({ PORT: '0', PORTAL_CONFIG: `${LOCAL_LAYERS[0]},,` });
      expect(run.status).toBe(1);
      expect(run.stderrText.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^PORT="0" is not a port/),
        expect.stringMatching(/^PORTAL_CONFIG=".*" has an empty entry \(#2\)/),
        expect.stringMatching(/^PORTAL_CONFIG=".*" has an empty entry \(#3\)/),
      ]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
