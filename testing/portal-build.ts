/**
 * The built portal that `npm run portal` and the portal's tests start: the app bundle (the
 * Backstage CLI) and the compiled backend (tsc, then its serialized config schema), each built by
 * its workspace's `npm run build` when an output is missing or older than something it is built
 * from (`npm run build:portal` builds both).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const APP = path.join(ROOT, 'backstage-config', 'app');
const BACKEND = path.join(ROOT, 'backstage-config', 'backend');
/** The installed packages: both parts are built from them (bundled, or their schemas read). */
const LOCKFILE = path.join(ROOT, 'package-lock.json');

/** The newest modification time of the files under `dir`, but those `skip` names. */
function newest(dir: string, skip: (name: string) => boolean = () => false): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !skip(e.name)) {
      t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
    }
  }
  return t;
}

/** What the backend's build leaves out (tsconfig.build.json's `exclude`): tests, the launcher. */
const notBuilt = (name: string): boolean =>
  name.endsWith('.test.ts') || name === 'launch.ts' || name === 'config-check.ts';

const mtime = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);

/** One workspace's build: what it is made of and what it writes. */
interface Part {
  readonly workspace: string;
  readonly sources: () => number;
  readonly outputs: readonly string[];
}

const PARTS: readonly Part[] = [
  {
    workspace: 'backstage-config/app',
    sources: () =>
      Math.max(
        newest(path.join(APP, 'src')),
        newest(path.join(APP, 'public')),
        mtime(path.join(APP, 'package.json')),
        mtime(path.join(APP, 'config.schema.json')),
        mtime(path.join(ROOT, 'backstage-config', 'app-config.yaml')),
        mtime(LOCKFILE),
      ),
    outputs: [
      path.join(APP, 'dist', 'index.html.tmpl'),
      path.join(APP, 'dist', '.config-schema.json'),
    ],
  },
  {
    workspace: 'backstage-config/backend',
    // The serialized schema (dist/.config-schema.json) is made of both packages' dependencies.
    sources: () =>
      Math.max(
        newest(path.join(BACKEND, 'src'), notBuilt),
        mtime(path.join(BACKEND, 'package.json')),
        mtime(path.join(BACKEND, 'tsconfig.build.json')),
        mtime(path.join(BACKEND, 'config.schema.json')),
        mtime(path.join(APP, 'package.json')),
        mtime(path.join(APP, 'config.schema.json')),
        mtime(LOCKFILE),
      ),
    outputs: [
      path.join(BACKEND, 'dist', 'index.js'),
      path.join(BACKEND, 'dist', '.config-schema.json'),
    ],
  },
];

/** The workspaces whose build outputs are missing or older than their sources. */
export function stalePortalParts(): string[] {
  return PARTS.filter((p) => Math.min(...p.outputs.map(mtime)) <= p.sources()).map(
    (p) => p.workspace,
  );
}

/** Whether every build output is newer than the sources it is built from. */
export function isPortalBuilt(): boolean {
  return stalePortalParts().length === 0;
}

/** Builds the parts of the portal that are not built (all at once: one npm run). */
export function ensurePortalBuilt(timeoutMs: number): void {
  const stale = stalePortalParts();
  if (stale.length === 0) return;
  // A production build (the app's browserslist has its `production` targets only), also when
  // called from a test runner that sets NODE_ENV=test.
  execFileSync('npm', ['run', 'build', ...stale.flatMap((w) => ['--workspace', w])], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'pipe',
    timeout: timeoutMs,
  });
}
