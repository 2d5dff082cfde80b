/**
 * Everything a template run produces, judged by what consumes it: claims by the XRD / RGD schema
 * (and the XRD's CEL rules) they target, Group requests and catalog-info by Backstage's entity
 * validators, the merge request's texts for leftovers of templating, and the claims repository
 * by the claims pipeline's own shell checks (run with sh and jq). Expectations about values are
 * written here from the stack and the parameters, never taken from the template.
 */
import { parse } from 'yaml';
import { buildPlatformCharts, type PlatformCharts } from '../charts/platform';
import {
  claimKinds,
  groupCheckScript,
  layoutCheckScript,
} from '../generators/claims-repository/claims-repository';
import { isDns1035Label, isDnsLabel } from '../constructs/names';
import { validateEntity } from './catalog';
import { evalCel } from './cel';
import { runClaimsCheck } from './claims-checkout';
import { objectSchema, validateAgainstSchema } from './schemas';
import type { TemplateRun, TemplateStack } from './template-run';
import { testApp } from './cdk8s-app';

let built: PlatformCharts | undefined;
const charts = (): PlatformCharts => (built ??= buildPlatformCharts(testApp()));

// Built once: validators are compiled per schema object.
let schemas: { teamNamespace: Json; database: Json } | undefined;
const claimSchemas = (): { teamNamespace: Json; database: Json } =>
  (schemas ??= {
    teamNamespace: objectSchema(charts().teamNamespace.api.schema as Json),
    database: objectSchema({
      type: 'object',
      properties: { spec: charts().database.api.specSchema as Json },
    }),
  });

type Json = Record<string, unknown>;

/** The parts of a manifest or entity these checks read. */
interface Manifest {
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly description?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** A file as YAML (JSON is YAML too), or undefined when it does not parse. */
function manifest(content: string | undefined): Manifest | undefined {
  try {
    return (parse(content ?? '') as Manifest | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Problems of a claim against the platform API it targets ([] when the API server accepts it). */
export function claimProblems(claim: Manifest | undefined): string[] {
  const { teamNamespace, database } = charts();
  if (claim?.kind === teamNamespace.api.kind) {
    const schema = teamNamespace.api.schema as Json;
    const problems = validateAgainstSchema(claimSchemas().teamNamespace, claim);
    for (const { rule, message } of schema['x-kubernetes-validations'] as {
      rule: string;
      message: string;
    }[]) {
      if (evalCel(rule, { self: claim }) !== true) {
        problems.push(message);
      }
    }
    return problems;
  }
  if (claim?.kind === database.api.kind) {
    const problems = validateAgainstSchema(claimSchemas().database, claim);
    const { name = '', namespace = '' } = claim.metadata ?? {};
    if (!isDns1035Label(name, database.api.maxNameLength)) {
      problems.push(`name ${name}: its Service and Secret names would be invalid`);
    }
    if (!isDnsLabel(namespace)) {
      problems.push(`namespace ${namespace} is not a namespace name`);
    }
    return problems;
  }
  return [`${claim?.kind} is not a platform API`];
}

/**
 * Leftovers of templating in a text a person reads (a merge request's title or description):
 * template syntax, or an empty code span, which is what a missing value leaves in `\`${{ x }}\``.
 */
const leftovers = (text: string): boolean => /\$\{\{|\{%|``/.test(text);

/**
 * Every problem of the files a template makes ([] when each would be accepted): for new-service
 * the repository it publishes, for the claim templates what its merge request adds to the claims
 * repository (by path there); and of the values the template derived, against what the stack and
 * the parameters say they are.
 */
export async function fileProblems(
  name: string,
  files: Readonly<Record<string, string>>,
  stack: TemplateStack,
  parameters: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  if (name === 'new-service') {
    const entity = manifest(files['catalog-info.yaml']);
    problems.push(...(await validateEntity(entity)));
    expect(
      entity?.metadata?.name === parameters.name,
      `catalog-info name ${entity?.metadata?.name}`,
    );
    expect(
      entity?.spec?.owner === parameters.owner,
      `catalog-info owner ${JSON.stringify(entity?.spec?.owner)}`,
    );
    expect(
      entity?.spec?.system === parameters.system,
      `catalog-info system ${JSON.stringify(entity?.spec?.system)}`,
    );
    const ann = (entity?.metadata?.annotations ?? {}) as Record<string, string>;
    expect(ann['gitlab.com/instance'] === new URL(stack.gitlabUrl).host, 'gitlab.com/instance');
    expect(ann['backstage.io/kubernetes-namespace'] === parameters.namespace, 'k8s namespace');
    const mkdocs = manifest(files['mkdocs.yml']) as { site_name?: unknown } | undefined;
    expect(mkdocs?.site_name === parameters.name, 'mkdocs site_name');
    const ci = manifest(files['.gitlab-ci.yml']) as { techdocs?: { script?: unknown } } | undefined;
    expect(
      JSON.stringify(ci?.techdocs?.script ?? null).includes(
        `default/Component/${String(parameters.name)}`,
      ),
      'techdocs entity',
    );
    return problems;
  }
  expect(Object.keys(files).length > 0, 'no file');
  for (const [file, content] of Object.entries(files)) {
    if (file.startsWith('claims/')) {
      const claim = manifest(content);
      problems.push(...claimProblems(claim).map((p) => `${file}: ${p}`));
      expect(claim?.metadata?.name === parameters.name, `${file}: metadata.name`);
    } else if (file.startsWith('groups/')) {
      let group: Manifest;
      try {
        group = JSON.parse(content) as Manifest;
      } catch (e) {
        problems.push(`${file}: not JSON: ${(e as Error).message}`);
        continue;
      }
      problems.push(...(await validateEntity(group)).map((p) => `${file}: ${p}`));
      expect(
        Object.values(group.metadata?.annotations ?? {}).includes(
          `${stack.customersGroup}/${String(parameters.name)}`,
        ),
        `${file}: no annotation with the group path`,
      );
      expect(
        group.metadata?.description === parameters.description,
        `${file}: description ${JSON.stringify(group.metadata?.description)}`,
      );
    } else {
      problems.push(`${file}: not a claims repository path`);
    }
  }
  if (name === 'customer-group') {
    const claim = manifest(files[`claims/teamnamespaces/${String(parameters.name)}.yaml`]);
    expect(
      claim?.spec?.owner === `${stack.customersGroup}/${String(parameters.name)}`,
      `spec.owner ${JSON.stringify(claim?.spec?.owner)}`,
    );
  }
  return problems;
}

/** Every problem of a run: refused, failed, or what it made ([] when all would be accepted). */
export async function outputProblems(
  name: string,
  run: TemplateRun,
  stack: TemplateStack,
  parameters: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  if (run.rejected !== undefined) {
    return [`the form refused it: ${run.rejected.join('; ')}`];
  }
  if (run.failed !== undefined) {
    return [`step ${run.failed.step} failed: ${run.failed.error.message}`];
  }
  if (name === 'new-service') {
    const problems = await fileProblems(name, run.published ?? {}, stack, parameters);
    if (run.registered?.length !== 1) problems.push(`registered ${JSON.stringify(run.registered)}`);
    return problems;
  }
  const mr = run.mergeRequest;
  if (run.mergeRequestFiles === undefined || mr === undefined) {
    return ['no merge request was opened'];
  }
  const problems = await fileProblems(name, run.mergeRequestFiles, stack, parameters);
  const expect = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  expect(mr.target_branch === 'main', `target branch ${mr.target_branch}`);
  expect(/^[a-z0-9][-a-z0-9/]*[a-z0-9]$/.test(mr.source_branch), `branch ${mr.source_branch}`);
  expect(mr.title.length > 0 && !leftovers(mr.title), `title ${JSON.stringify(mr.title)}`);
  expect(!leftovers(mr.description ?? ''), `description ${JSON.stringify(mr.description)}`);
  return problems;
}

/**
 * The claims pipeline's layout and group checks over `repo` (files of one or many merge
 * requests): what they print on stderr, empty when both pass. Both run in one shell and one
 * checkout (a start of a shell from a test worker costs tens of milliseconds), each in a subshell
 * of its own and each whatever the other gave, so that one's failure does not hide the other's.
 */
export function pipelineProblems(
  repo: Readonly<Record<string, string>>,
  stack: TemplateStack,
): string {
  const env = { CUSTOMERS_GROUP_PATH: stack.customersGroup };
  const script = [layoutCheckScript(claimKinds(charts())), groupCheckScript()]
    .map((check) => `(\n${check}\n) || failed=1\n`)
    .join('');
  const run = runClaimsCheck(`failed=\n${script}test -z "$failed"\n`, repo, env);
  return run.status === 0 ? '' : run.stderr || `exit ${run.status}`;
}
