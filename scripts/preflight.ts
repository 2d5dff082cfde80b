/**
 * `npm run preflight -- --stack <name>` (default dev): checks, before `pulumi up`, what would
 * otherwise fail half-way on the GitLab side, against the real GitLab API. The admin token comes
 * from GITLAB_ADMIN_TOKEN (for instance `GITLAB_ADMIN_TOKEN=$(pulumi config get gitlabAdminToken)`);
 * it is sent to GitLab only and never printed. Exits non-zero when a check fails.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, projectSettings } from '../stacks/config';
import { readStackConfig, SECRET_MARKER } from '../stacks/plan';
import { preflight, renderTable } from '../stacks/preflight';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stack: { type: 'string', default: 'dev' }, 'stack-file': { type: 'string' } },
  });
  const stack = values.stack ?? 'dev';
  const raw = readStackConfig(values['stack-file'] ?? path.join(root, `Pulumi.${stack}.yaml`));
  const token = process.env.GITLAB_ADMIN_TOKEN;
  const settings = projectSettings(raw);
  // The token itself is checked against GitLab below; here it only has to be present.
  const config = parseConfig({ ...settings, gitlabAdminToken: token ?? SECRET_MARKER });
  const results = await preflight(config, token, (url, init) => fetch(url, init));
  console.log(`Preflight of stack "${stack}" against ${config.gitlabUrl}\n`);
  console.log(renderTable(results));
  if (results.some((r) => !r.ok)) {
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
