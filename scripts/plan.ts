/**
 * `npm run plan -- --stack <name>` (default dev): the offline plan of a stack, written to
 * dist/plan/<stack>.yaml, with a summary of resources per type on stdout. Bad configuration
 * exits non-zero with one line per problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../stacks/config';
import { planConfig, renderPlan, runUnderMocks } from '../stacks/plan';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string', default: 'dev' },
      // For trying a stack file elsewhere (the tests do): defaults to Pulumi.<stack>.yaml.
      'stack-file': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const stack = values.stack ?? 'dev';
  const out = values.out ?? path.join(root, 'dist', 'plan', `${stack}.yaml`);
  const result = await runUnderMocks({
    stack,
    config: planConfig(values['stack-file'] ?? path.join(root, `Pulumi.${stack}.yaml`)),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: () => require('../stacks/index') as unknown,
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

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    console.error(e.message);
  } else {
    console.error(e);
  }
  process.exit(1);
});
