/**
 * What `npm run portal` keeps beside its database from start to start (password, port, the
 * migrations key of its last ready start), and when that lets Backstage skip the plugins'
 * migrations: only on the database a start with the same packages, backend and configuration
 * brought up.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFor, persistentDatabase } from './launch';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-db-settings-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const layer = path.join(work, 'app-config.yaml');
fs.writeFileSync(layer, 'backend:\n  database:\n    connection: { port: "${PORTAL_DB_PORT}" }\n');
const dataDir = path.join(work, 'postgres');
/** What initdb leaves: the database exists from now on. */
const initialise = (): void => {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '18\n');
};

describe("npm run portal's database settings", () => {
  it('keeps the password and, while it is free, the port; reads nothing it has not saved', async () => {
    const first = await persistentDatabase(dataDir);
    expect(fs.readdirSync(work)).toEqual(['app-config.yaml']);
    first.save();
    expect(fs.statSync(path.join(work, 'postgres-password')).mode & 0o777).toBe(0o600);
    const again = await persistentDatabase(dataDir);
    expect([again.password, again.port]).toEqual([first.password, first.port]);
    // Its port taken (by another program): another free one, the same password.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(first.port, '127.0.0.1', resolve));
    try {
      const moved = await persistentDatabase(dataDir);
      expect(moved.password).toBe(first.password);
      expect(moved.port).not.toBe(first.port);
    } finally {
      server.close();
    }
  });

  it('skips the migrations only where a start with the same key was ready', async () => {
    const env = { PORTAL_DB_PORT: '5432' };
    // A database about to be initialised: migrations run, whatever an old file says.
    fs.writeFileSync(path.join(work, 'postgres-migrated'), 'stale');
    const fresh = await persistentDatabase(dataDir);
    expect(fresh.migratedWith).toBeUndefined();
    fresh.save();
    expect(fs.existsSync(path.join(work, 'postgres-migrated'))).toBe(false);
    const firstStart = migrationsFor(fresh, [layer], env);
    expect(firstStart.skipped).toBe(false);
    expect(firstStart.env.APP_CONFIG_backend_database_skipMigrations).toBeUndefined();
    initialise();
    firstStart.ready();

    // The same start again: Backstage's switch, set through its environment config.
    const warm = migrationsFor(await persistentDatabase(dataDir), [layer], env);
    expect(warm.skipped).toBe(true);
    expect(warm.env.APP_CONFIG_backend_database_skipMigrations).toBe('true');
    expect(warm.env.PORTAL_DB_PORT).toBe('5432');

    // Another configuration (here: the database's port) is another key: migrations run.
    const moved = migrationsFor(await persistentDatabase(dataDir), [layer], {
      PORTAL_DB_PORT: '1',
    });
    expect(moved.skipped).toBe(false);
    // Configuration from the environment counts too.
    const fromEnv = { ...env, APP_CONFIG_backend_database_prefix: 'other_' };
    expect(migrationsFor(await persistentDatabase(dataDir), [layer], fromEnv).skipped).toBe(false);
    // A start that never became ready records nothing: the earlier key still holds.
    expect((await persistentDatabase(dataDir)).migratedWith).toBe(
      fs.readFileSync(path.join(work, 'postgres-migrated'), 'utf8'),
    );
    expect(migrationsFor(await persistentDatabase(dataDir), [layer], env).skipped).toBe(true);

    // The database deleted (only its folder): a new one, migrated again.
    fs.rmSync(dataDir, { recursive: true });
    expect(migrationsFor(await persistentDatabase(dataDir), [layer], env).skipped).toBe(false);
  });
});
