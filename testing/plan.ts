/**
 * The offline plan (`npm run plan`): the stack's configuration as the plan runs it, and the
 * reviewable rendering of what the program registered under the mock runner
 * (testing/pulumi-mocks.ts), committed as dist/plan/<stack>.yaml.
 */
import { stringify } from 'yaml';
import { PROJECT, SECRET_KEYS } from '../stacks/config-parse';
import { readStackConfig, SECRET_MARKER } from '../stacks/stack-file';
import type { RunResult } from './pulumi-mocks';

/**
 * The config the offline plan runs with: the stack file's values, and every secret setting that
 * is not in it (secrets are set with `pulumi config set --secret`, not committed) as the secret
 * marker, since the plan never needs, and never shows, their values.
 */
export function planConfig(
  file: string,
  /** The file's config, when it has been read already (a large stack file takes a while). */
  read: Record<string, string> = readStackConfig(file),
): Record<string, string> {
  const config = { ...read };
  for (const key of SECRET_KEYS) {
    config[`${PROJECT}:${key}`] ??= SECRET_MARKER;
  }
  return config;
}

/** The reviewable rendering of a plan: a YAML document, deterministic for the same program. */
export function renderPlan(stack: string, result: RunResult): string {
  const counts: Record<string, number> = {};
  for (const e of result.entries) {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
  }
  return [
    `# Offline plan of stack "${stack}": every resource \`pulumi up\` would register, from the`,
    '# real program under Pulumi mocks (npm run plan). Secrets are shown as "[secret]".',
    stringify(
      {
        stack,
        summary: Object.fromEntries(
          Object.keys(counts)
            .sort()
            .map((t) => [t, counts[t]]),
        ),
        outputs: result.exports,
        resources: result.entries,
      },
      { lineWidth: 0, sortMapEntries: false },
    ),
  ].join('\n');
}
