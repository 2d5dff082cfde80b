/**
 * `npm run preflight -- --stack <name>` (default dev): checks, before `pulumi up`, what would
 * otherwise fail half-way on the GitLab side, against the real GitLab API. The admin token comes
 * from GITLAB_ADMIN_TOKEN (for instance `GITLAB_ADMIN_TOKEN=$(pulumi config get gitlabAdminToken)`);
 * it is sent to GitLab only and never printed. Exits 1 when a check fails; a wrong command line,
 * stack file or configuration exits non-zero with a message, no stack trace.
 */
import { ConfigProblems, parseStackConfig, PROJECT } from '../stacks/config-parse';
import { httpFetch, preflight, renderTable } from '../stacks/preflight';
import { readStackConfig, SECRET_MARKER, shownPath } from '../stacks/stack-file';
import { parseStackArgs, run } from './cli';

const USAGE =
  'usage: GITLAB_ADMIN_TOKEN=<token> npm run preflight -- [--stack <name>] [--stack-file <file>]\n' +
  '  --stack       the stack to check (default dev), from Pulumi.<stack>.yaml\n' +
  '  --stack-file  read the stack from this file instead';

async function main(): Promise<void> {
  const args = parseStackArgs(process.argv.slice(2), {});
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const stackConfig = readStackConfig(args.stackFile);
  const token = process.env.GITLAB_ADMIN_TOKEN;
  // The token itself is checked against GitLab below; here it only has to be present.
  let config: ReturnType<typeof parseStackConfig>;
  try {
    config = parseStackConfig({
      ...stackConfig,
      [`${PROJECT}:gitlabAdminToken`]: token ?? SECRET_MARKER,
    });
  } catch (e) {
    throw e instanceof ConfigProblems
      ? new ConfigProblems(e.problems, shownPath(args.stackFile))
      : e;
  }
  const results = await preflight(config, token, httpFetch());
  console.log(`Preflight of stack "${args.stack}" against ${config.gitlabUrl}\n`);
  console.log(renderTable(results));
  if (results.some((r) => !r.ok)) {
    process.exit(1);
  }
}

run('preflight', USAGE, main);
