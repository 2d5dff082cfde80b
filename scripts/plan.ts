/**
 * `npm run plan -- --stack <name>` (default dev): the offline plan of a stack, written to
 * dist/plan/<stack>.yaml, with a summary of resources per type on stdout. A wrong command line,
 * stack file or configuration exits non-zero with a message (one line per problem), no stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigProblems, parseStackConfig } from '../stacks/config-parse';
import { readStackConfig, shownPath } from '../stacks/stack-file';
import { planConfig, renderPlan } from '../testing/plan';
import { parseStackArgs, run } from './cli';

const root = path.resolve(__dirname, '..');
const USAGE =
  'usage: npm run plan -- [--stack <name>] [--stack-file <file>] [--out <file>]\n' +
  '  --stack       the stack to plan (default dev), from Pulumi.<stack>.yaml\n' +
  '  --stack-file  read the stack from this file instead\n' +
  '  --out         write the plan here (default dist/plan/<stack>.yaml)';

async function main(): Promise<void> {
  const args = parseStackArgs(process.argv.slice(2), { out: { type: 'string' } });
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const { stack } = args;
  // The stack file and its configuration first, so that a broken one is reported in well under a
  // second, before Pulumi's SDK loads.
  const stackConfig = readStackConfig(args.stackFile);
  const config = planConfig(args.stackFile, stackConfig);
  try {
    parseStackConfig(config);
  } catch (e) {
    throw e instanceof ConfigProblems
      ? new ConfigProblems(e.problems, shownPath(args.stackFile))
      : e;
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ConfigError } = require('../stacks/config') as typeof import('../stacks/config');
  const { runUnderMocks } =
    require('../testing/pulumi-mocks') as typeof import('../testing/pulumi-mocks');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const out =
    typeof args.values.out === 'string'
      ? args.values.out
      : path.join(root, 'dist', 'plan', `${stack}.yaml`);
  const result = await runUnderMocks({
    stack,
    config,
    // A bug's stack trace on request: capturing them is most of a large plan's time.
    stackTraces: process.env.PLATFORM_STACK_TRACES === '1',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: () => require('../stacks/index') as unknown,
  }).catch((e: unknown) => {
    throw e instanceof ConfigError ? new ConfigError(e.problems, shownPath(args.stackFile)) : e;
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, renderPlan(stack, result));
  const counts = new Map<string, number>();
  for (const e of result.entries) {
    counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  }
  const width = Math.max(...[...counts.keys()].map((t) => t.length));
  console.log(`Plan of stack "${stack}" written to ${path.relative(process.cwd(), out)}\n`);
  for (const [type, n] of [...counts.entries()].sort()) {
    console.log(`  ${type.padEnd(width)}  ${n}`);
  }
  console.log(`  ${'total'.padEnd(width)}  ${result.entries.length}`);
}

run('plan', USAGE, main);
