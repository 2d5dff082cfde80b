/**
 * Preloaded into the portal backend by the end-to-end test (`node --require`): appends every
 * configuration key the backend reads, one JSON line per distinct read, to the file named by
 * PORTAL_CONFIG_READS_FILE. Only the test sets that variable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordConfigReads, type ConfigRead } from './config-reads';

const file = process.env.PORTAL_CONFIG_READS_FILE;
if (file !== undefined && file !== '') {
  // The copy the backend package resolves (there is one: the lockfile dedupes it).
  const backendDir = path.resolve(__dirname, '..', 'backstage-config', 'backend');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConfigReader } = require(
    require.resolve('@backstage/config', { paths: [backendDir] }),
  ) as typeof import('@backstage/config');
  const seen = new Set<string>();
  recordConfigReads(ConfigReader, (read: ConfigRead) => {
    const line = JSON.stringify(read);
    if (!seen.has(line)) {
      seen.add(line);
      fs.appendFileSync(file, `${line}\n`);
    }
  });
}
