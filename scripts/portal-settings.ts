/**
 * The settings of `npm run portal` from its environment (PORT, PORTAL_CONFIG), checked before
 * anything starts: every problem is reported at once, one line each, naming the variable, the
 * value and what is allowed.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const DEFAULT_PORT = 7007;

/** A problem with the environment of `npm run portal`; its message is meant for the user as is. */
export class PortalSettingsError extends Error {
  override readonly name = 'PortalSettingsError';
}

export interface PortalSettings {
  readonly port: number;
  /** Absolute paths of the config layers, in the order the backend reads them. */
  readonly configFiles: readonly string[];
}

function parsePort(value: string | undefined): { port?: number; problem?: string } {
  if (value === undefined) return { port: DEFAULT_PORT };
  const allowed = `an integer from 1 to 65535, or unset for ${DEFAULT_PORT}`;
  if (value === '') return { problem: `PORT is set but empty: use ${allowed}` };
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return { problem: `PORT=${JSON.stringify(value)} is not a port: use ${allowed}` };
  }
  return { port };
}

function parseConfigFiles(
  value: string | undefined,
  defaults: readonly string[],
  cwd: string,
): { configFiles?: string[]; problems: string[] } {
  if (value === undefined) return { configFiles: [...defaults], problems: [] };
  const allowed = 'comma-separated paths of config files, or unset for the local layers';
  if (value.trim() === '') {
    return { problems: [`PORTAL_CONFIG is set but empty: use ${allowed}`] };
  }
  const entries = value.split(',').map((f) => f.trim());
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    if (entry === '') {
      problems.push(
        `PORTAL_CONFIG=${JSON.stringify(value)} has an empty entry (#${i + 1}): use ${allowed}`,
      );
      return;
    }
    const file = path.resolve(cwd, entry);
    if (!fs.existsSync(file)) {
      problems.push(`PORTAL_CONFIG: ${entry} does not exist (${file})`);
    } else if (!fs.statSync(file).isFile()) {
      problems.push(`PORTAL_CONFIG: ${entry} is not a file (${file})`);
    }
  });
  return problems.length > 0
    ? { problems }
    : { configFiles: entries.map((f) => path.resolve(cwd, f)), problems };
}

/**
 * PORT (default 7007) and PORTAL_CONFIG (default: `defaults`) from `env`; relative paths are
 * resolved against `cwd`. Throws one PortalSettingsError listing every problem, one per line.
 */
export function portalSettings(
  env: NodeJS.ProcessEnv,
  defaults: readonly string[],
  cwd: string = process.cwd(),
): PortalSettings {
  const { port, problem } = parsePort(env.PORT);
  const { configFiles, problems } = parseConfigFiles(env.PORTAL_CONFIG, defaults, cwd);
  const all = [...(problem !== undefined ? [problem] : []), ...problems];
  if (all.length > 0 || port === undefined || configFiles === undefined) {
    throw new PortalSettingsError(all.join('\n'));
  }
  return { port, configFiles };
}

/** Resolves when `port` can be listened on, as the backend will (every interface). */
export function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'is in use: stop what listens there or choose another PORT'
          : `cannot be listened on (${error.code ?? error.message})`;
      reject(new PortalSettingsError(`PORT=${port} ${why}`));
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}
