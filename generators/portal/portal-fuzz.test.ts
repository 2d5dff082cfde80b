/**
 * Fuzzed form fields: the form (checked with the scaffolder's own validator) must accept exactly
 * the values that work where they end up, and every value it accepts is run through all the
 * template's steps (testing/template-run.ts) and everything it produced validated by its
 * consumer (testing/template-output.ts), not a sample.
 */
import { describe, expect, it } from 'vitest';
import { isDns1035Label, isDnsLabel } from '../../constructs/names';
import { isReservedNamespace } from '../../constructs/namespaces';
import { GROUP_PATH_PATTERN } from '../../constructs/team-namespace/schema';
import { exampleParameters, runOnStack, type TemplateName } from '../../testing/template-examples';
import { outputProblems, pipelineProblems } from '../../testing/template-output';
import { BOUNDARY_STACKS } from '../../testing/template-stack';

/** A deterministic pseudo-random generator (mulberry32), so the fuzz inputs are the same each run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADVERSARIAL = [
  '',
  'a',
  'team-a',
  'Team-A',
  'team_a',
  'team.a',
  '1team',
  '-team',
  'team-',
  'a'.repeat(30),
  'a'.repeat(31),
  'a'.repeat(40),
  'a'.repeat(51),
  'a'.repeat(52),
  'a'.repeat(63),
  'a'.repeat(64),
  'tëam',
  'team🙂',
  'team a',
  'team\n',
  'team\nkind: Secret',
  '${{ parameters.name }}',
  '{% raw %}',
  '{{ 7*7 }}',
  '": x',
  "'; DROP",
  'team/a',
  'TEAM',
  'default',
  'kube-system',
  'kube-public',
  'kube-x',
  'kube',
  'backstage',
  'crossplane-system',
  'kro-system',
  'cnpg-system',
  'gitlab-agent',
  'ingress-nginx',
  'defaults',
  'undefined',
  'null',
];

function fuzzInputs(count: number): string[] {
  const next = random(20261124);
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789-----_.A Zé🙂\n{}$%'];
  const generated = Array.from({ length: count }, () => {
    const length = Math.floor(next() * 70);
    return Array.from({ length }, () => chars[Math.floor(next() * chars.length)]).join('');
  });
  return [...new Set([...ADVERSARIAL, ...generated])];
}

const namespace = (v: string): boolean => isDnsLabel(v) && !isReservedNamespace(v);
const groupPath = new RegExp(GROUP_PATH_PATTERN);

/** Each fuzzed field with what may be accepted there: the rules of where its value ends up. */
const FIELDS: [TemplateName, string, (v: string) => boolean, (v: string) => unknown][] = [
  ['team-namespace', 'name', namespace, (v) => v],
  ['team-namespace', 'viewers', (v) => v.length <= 63 && groupPath.test(v), (v) => [v]],
  // A Service is named after it and its Secret gets "-credentials": DNS-1035, 63 - 12.
  ['postgres-database', 'name', (v) => isDns1035Label(v, 51), (v) => v],
  ['postgres-database', 'namespace', namespace, (v) => v],
  // spec.owner is "<customers group>/<name>", 63 at most, for a customers group of up to 32.
  ['customer-group', 'name', (v) => namespace(v) && v.length <= 30, (v) => v],
  ['new-service', 'name', (v) => isDnsLabel(v), (v) => v],
  ['new-service', 'namespace', namespace, (v) => v],
];

const figures = { values: 0, accepted: 0, validated: 0, rejected: 0 };

describe('fuzzed fields: the form accepts exactly what works, and all of it runs into valid output', () => {
  const inputs = fuzzInputs(300);
  // The form is the same on every stack; what a value becomes depends on the stack only through
  // the configured paths, whose budgets bind on the stack with the longest ones. Hosts do not
  // meet the fuzzed values (the worked examples and the checks above run on every stack).
  const stack = BOUNDARY_STACKS.longest;

  it.each(FIELDS.map(([t, f, ok, as]) => [`${t} ${f}`, t, f, ok, as] as const))(
    '%s: every accepted value run through every step and validated',
    async (_, name, field, valid, as) => {
      const repo: Record<string, string> = {};
      for (const value of inputs) {
        const parameters = { ...exampleParameters(name, stack), [field]: as(value) };
        const r = await runOnStack(name, stack, parameters);
        figures.values += 1;
        expect(r.rejected === undefined, `${JSON.stringify(value)} ${r.rejected?.join()}`).toBe(
          valid(value),
        );
        if (r.rejected !== undefined) {
          figures.rejected += 1;
          continue;
        }
        figures.accepted += 1;
        expect(await outputProblems(name, r, stack, parameters), JSON.stringify(value)).toEqual([]);
        figures.validated += 1;
        Object.assign(repo, r.mergeRequestFiles);
      }
      // The claims pipeline's checks over every merge request at once: its messages name files.
      expect(pipelineProblems(repo, stack)).toBe('');
    },
    120_000,
  );

  it('counted what it did', () => {
    console.info(
      `fuzzed fields: ${figures.values} values, ${figures.accepted} accepted (each run through every step, its output validated), ${figures.rejected} rejected by the form`,
    );
    expect(figures.validated).toBe(figures.accepted);
    expect(figures.accepted).toBeGreaterThan(100);
  });
});
