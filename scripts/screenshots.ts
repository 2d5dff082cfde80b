/**
 * `npm run screenshots`: copies the screenshots the browser tests saved on their last run
 * (`.screenshots/`, or `$PORTAL_SCREENSHOTS`) into docs/screenshots/, the ones the README shows.
 * Run it after `npm test` (or the two browser test files) when the portal's pages changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCREENSHOTS_DIR } from '../testing/screenshots';

/** The README's screenshots, in the order it shows them. */
const README_SCREENSHOTS = [
  'sign-in',
  'catalog',
  'api-definition',
  'template-form',
  'techdocs',
  'template-editor',
  'kubernetes',
];

const DOCS = path.resolve(__dirname, '..', 'docs', 'screenshots');

function main(): number {
  const missing = README_SCREENSHOTS.filter(
    (n) => !fs.existsSync(path.join(SCREENSHOTS_DIR, `${n}.png`)),
  );
  if (missing.length > 0) {
    console.error(
      `${SCREENSHOTS_DIR} lacks ${missing.map((n) => `${n}.png`).join(', ')}: run the browser tests first (npx vitest run backstage-config/backend/image.test.ts backstage-config/backend/browser.test.ts backstage-config/backend/kubernetes.cluster.test.ts)`,
    );
    return 1;
  }
  fs.mkdirSync(DOCS, { recursive: true });
  for (const n of README_SCREENSHOTS) {
    fs.copyFileSync(path.join(SCREENSHOTS_DIR, `${n}.png`), path.join(DOCS, `${n}.png`));
    console.log(`docs/screenshots/${n}.png`);
  }
  return 0;
}

process.exit(main());
