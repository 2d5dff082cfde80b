/**
 * Where the browser tests save their screenshots on every run: `.screenshots/` in the checkout
 * (ignored by git), or `$PORTAL_SCREENSHOTS`. `npm run screenshots` copies the README's into
 * docs/screenshots/, so that a test run never changes a committed file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SCREENSHOTS_DIR =
  process.env.PORTAL_SCREENSHOTS ?? path.resolve(__dirname, '..', '.screenshots');

/** The path of screenshot `name` (e.g. `catalog`), its folder created. */
export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return path.join(SCREENSHOTS_DIR, `${name}.png`);
}
