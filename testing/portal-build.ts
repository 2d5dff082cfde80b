/**
 * The built portal the image and browser tests serve: `npm run build:portal` (the app bundle
 * with the Backstage CLI, the backend compiled), run when a build output is missing or older
 * than a source it is built from.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const APP = path.join(ROOT, 'backstage-config', 'app');
const BACKEND = path.join(ROOT, 'backstage-config', 'backend');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

const mtime = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);

/** Whether the build outputs are newer than the sources and config layers they are built from. */
export function isPortalBuilt(): boolean {
  const sources = Math.max(
    newest(path.join(APP, 'src')),
    newest(path.join(APP, 'public')),
    mtime(path.join(APP, 'package.json')),
    mtime(path.join(ROOT, 'backstage-config', 'app-config.yaml')),
    newest(path.join(BACKEND, 'src')),
  );
  const outputs = Math.min(
    mtime(path.join(APP, 'dist', 'index.html.tmpl')),
    mtime(path.join(BACKEND, 'dist', 'index.js')),
  );
  return outputs > sources;
}

/** Builds the portal unless it is built. */
export function ensurePortalBuilt(timeoutMs: number): void {
  if (isPortalBuilt()) return;
  // A production build (the app's browserslist has its `production` targets only), also when
  // called from a test runner that sets NODE_ENV=test.
  execFileSync('npm', ['run', 'build:portal'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'pipe',
    timeout: timeoutMs,
  });
}
