/**
 * Everything a template run produces, judged by what consumes it: claims by the XRD / RGD schema
 * (and the XRD's CEL rules) they target, Group requests and catalog-info by Backstage's entity
 * validators, the merge request's texts for leftovers of templating, and the claims repository
 * by the claims pipeline's own shell checks (run with sh and jq). Expectations about values are
 * written here from the stack and the parameters, never taken from the template.
 */
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { buildPlatformCharts, type PlatformCharts } from '../charts/platform';
import { claimKinds, groupCheckScript, layoutCheckScript } from '../charts/claims-repository';
import { isDns1035Label, isDnsLabel } from '../constructs/names';
import { validateEntity } from './catalog';
import { evalCel } from './cel';
import { runClaimsCheck } from './claims-checkout';
import { objectSchema, validateAgainstSchema } from './schemas';
import type { TemplateRun, TemplateStack } from './template-run';

let built: PlatformCharts | undefined;
const charts = (): PlatformCharts => (built ??= buildPlatformCharts(Testing.app()));

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

type Json = Record<string, any>;

/** Problems of a claim against the platform API it targets ([] when the API server accepts it). */
export function claimProblems(claim: Json): string[] {
  const { teamNamespace, database } = charts();
  if (claim?.kind === teamNamespace.api.kind) {
    const schema = teamNamespace.api.schema as Json;
    const problems = validateAgainstSchema(claimSchemas().teamNamespace, claim);
    for (const { rule, message } of schema['x-kubernetes-validations'] as Json[]) {
      if (evalCel(rule as string, { self: claim }) !== true) {
        problems.push(message as string);
      }
    }
    return problems;
  }
  if (claim?.kind === database.api.kind) {
    const problems = validateAgainstSchema(claimSchemas().database, claim);
    if (!isDns1035Label(claim.metadata.name as string, database.api.maxNameLength)) {
      problems.push(`name ${claim.metadata.name}: its Service and Secret names would be invalid`);
    }
    if (!isDnsLabel(claim.metadata.namespace as string)) {
      problems.push(`namespace ${claim.metadata.namespace} is not a namespace name`);
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
 * Every problem of a successful run's output ([] when everything it made would be accepted),
 * and of the values the template derives, against what the stack and parameters say they are.
 */
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
  const problems: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  if (name === 'new-service') {
    const files = run.published ?? {};
    const entity = parse(files['catalog-info.yaml'] ?? '') as Json;
    problems.push(...(await validateEntity(entity)));
    expect(
      entity?.metadata?.name === parameters.name,
      `catalog-info name ${entity?.metadata?.name}`,
    );
    expect(entity?.spec?.owner === parameters.owner, `catalog-info owner ${entity?.spec?.owner}`);
    expect(
      entity?.spec?.system === parameters.system,
      `catalog-info system ${entity?.spec?.system}`,
    );
    const ann = (entity?.metadata?.annotations ?? {}) as Record<string, string>;
    expect(ann['gitlab.com/instance'] === new URL(stack.gitlabUrl).host, 'gitlab.com/instance');
    expect(ann['backstage.io/kubernetes-namespace'] === parameters.namespace, 'k8s namespace');
    expect(parse(files['mkdocs.yml'] ?? '')?.site_name === parameters.name, 'mkdocs site_name');
    const ci = parse(files['.gitlab-ci.yml'] ?? '') as Json;
    expect(
      JSON.stringify(ci?.techdocs?.script).includes(`default/Component/${String(parameters.name)}`),
      'techdocs entity',
    );
    expect(run.registered?.length === 1, `registered ${JSON.stringify(run.registered)}`);
    return problems;
  }
  const files = run.mergeRequestFiles;
  const mr = run.mergeRequest;
  if (files === undefined || mr === undefined) {
    return ['no merge request was opened'];
  }
  expect(Object.keys(files).length > 0, 'the merge request adds no file');
  for (const [file, content] of Object.entries(files)) {
    if (file.startsWith('claims/')) {
      const claim = parse(content) as Json;
      problems.push(...claimProblems(claim).map((p) => `${file}: ${p}`));
      expect(claim?.metadata?.name === parameters.name, `${file}: metadata.name`);
    } else if (file.startsWith('groups/')) {
      let group: Json | undefined;
      try {
        group = JSON.parse(content) as Json;
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
    const claim = parse(
      files[`claims/teamnamespaces/${String(parameters.name)}.yaml`] ?? '',
    ) as Json;
    expect(
      claim?.spec?.owner === `${stack.customersGroup}/${String(parameters.name)}`,
      `spec.owner ${claim?.spec?.owner}`,
    );
  }
  expect(mr.target_branch === 'main', `target branch ${mr.target_branch}`);
  expect(/^[a-z0-9][-a-z0-9/]*[a-z0-9]$/.test(mr.source_branch), `branch ${mr.source_branch}`);
  expect(mr.title.length > 0 && !leftovers(mr.title), `title ${JSON.stringify(mr.title)}`);
  expect(!leftovers(mr.description ?? ''), `description ${JSON.stringify(mr.description)}`);
  return problems;
}

/**
 * The claims pipeline's layout and group checks over `repo` (files of one or many merge
 * requests): what they print on stderr, empty when both pass.
 */
export function pipelineProblems(
  repo: Readonly<Record<string, string>>,
  stack: TemplateStack,
): string {
  const env = { CUSTOMERS_GROUP_PATH: stack.customersGroup };
  return [layoutCheckScript(claimKinds(charts())), groupCheckScript()]
    .map((script) => {
      const run = runClaimsCheck(script, repo, env);
      return run.status === 0 ? '' : run.stderr || `exit ${run.status}`;
    })
    .join('');
}
