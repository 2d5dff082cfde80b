/**
 * Runs a synthesized template offline, step by step, the way the scaffolder's workflow runner
 * does (NunjucksWorkflowRunner in @backstage/plugin-scaffolder-backend 4.2.0): the parameters
 * validated against each form page with the scaffolder's own validator (jsonschema), every step
 * input rendered with its template engine (nunjitsu) from parameters, the stack's default
 * environment, the signed-in user and earlier steps' outputs, `if` evaluated, each input
 * validated against the action's schema, and the real actions run:
 *
 * - fetch:template, catalog:fetch and catalog:register from @backstage/plugin-scaffolder-backend,
 * - publish:gitlab:merge-request from the pinned GitLab module, against the @gitbeaker client
 *   stub (testing/gitlab-client.ts), so the files are those the real action commits,
 * - the portal's own checks (backstage-config/backend/src), against a catalog stub holding the
 *   given entities (each one validated as the catalog validates it: a stub never holds what the
 *   real catalog would refuse).
 *
 * publish:gitlab is not run: it pushes with git over HTTP (scaffolder-node's initRepoAndPush),
 * which no client stub reaches and no GitLab server here could answer. Its input is recorded,
 * the workspace is what it would push, and its outputs are the URLs GitLab gives a new project.
 *
 * The stack's default environment comes from testing/template-stack.ts, as the portal reads it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { type Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { ScmIntegrations } from '@backstage/integration';
import {
  createCatalogRegisterAction,
  createFetchCatalogEntityAction,
  createFetchTemplateAction,
} from '@backstage/plugin-scaffolder-backend';
import { createPublishGitlabMergeRequestAction } from '@backstage/plugin-scaffolder-backend-module-gitlab';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
import { createTemplateRenderer } from 'nunjitsu';
import { parse } from 'yaml';
import {
  createEntityAbsentAction,
  createGitlabGroupAction,
  createRequireEntityAction,
} from '../backstage-config/backend/src/catalog-actions';
import { createClaimCheckAction } from '../backstage-config/backend/src/claim-check-action';
import { validateEntity } from './catalog';
import { GitlabStub, installGitlabStub, type StubMergeRequest } from './gitlab-client';
import { actionContext, filesUnder } from './scaffolder';
import { stackEnvironment, type StackEnvironment, type TemplateStack } from './template-stack';

export { DEV_STACK, orgGroup, type TemplateStack } from './template-stack';

const ROOT = path.resolve(__dirname, '..');
const TEMPLATES = path.join(ROOT, 'dist', 'templates');

export interface StepRun {
  readonly id: string;
  readonly action: string;
  readonly input: Record<string, unknown>;
  readonly output: Record<string, unknown>;
  readonly skipped?: 'if' | 'not-run';
}

export interface TemplateRun {
  /** Form validation errors (jsonschema's), when the scaffolder would answer 400. */
  readonly rejected?: readonly string[];
  readonly steps: readonly StepRun[];
  /** The step that failed, and its error. */
  readonly failed?: { readonly step: string; readonly error: Error };
  /** What the merge request adds to the claims repository, by path. */
  readonly mergeRequestFiles?: Record<string, string>;
  readonly mergeRequest?: StubMergeRequest;
  /** The workspace publish:gitlab would push (new-service). */
  readonly published?: Record<string, string>;
  readonly registered?: readonly string[];
  /** Every call that changed something in GitLab. */
  readonly gitlabWrites: number;
}

export interface RunOptions {
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly stack: TemplateStack;
  /** What the catalog holds. */
  readonly catalog: readonly Entity[];
  /** The claims repository's files on main. */
  readonly claims?: Readonly<Record<string, string>>;
  /** @default 'user:default/jane.doe' */
  readonly user?: string | null;
}

const scaffolderRequire = createRequire(require.resolve('@backstage/plugin-scaffolder-backend'));
/** The validator the scaffolder checks parameters and action inputs with. */
const jsonschema = scaffolderRequire('jsonschema') as {
  validate(value: unknown, schema: unknown): { valid: boolean; errors: { stack: string }[] };
};

/** The form's parameter errors, as the scaffolder's task and dry-run endpoints compute them. */
export function formErrors(
  template: DistTemplate,
  parameters: Readonly<Record<string, unknown>>,
): string[] {
  return template.spec.parameters.flatMap((page) =>
    jsonschema.validate(parameters, page).errors.map((e) => e.stack),
  );
}

/** The parts of a synthesized Template the runner reads. */
export interface DistTemplate {
  readonly spec: {
    readonly parameters: readonly {
      readonly properties: Readonly<Record<string, unknown>>;
      readonly required?: readonly string[];
    }[];
    readonly steps: readonly {
      readonly id: string;
      readonly action: string;
      readonly if?: string;
      readonly input?: Readonly<Record<string, unknown>>;
    }[];
  };
}

const templateCache = new Map<string, DistTemplate>();

/** A template as dist/ ships it. */
export function distTemplate(name: string): DistTemplate {
  let t = templateCache.get(name);
  if (t === undefined) {
    t = parse(fs.readFileSync(path.join(TEMPLATES, name, 'template.yaml'), 'utf8')) as DistTemplate;
    templateCache.set(name, t);
  }
  return t;
}

/** Renders a step input as the workflow runner does: every string, a failure leaves it as is. */
function renderInput(input: unknown, render: (v: string) => unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(input ?? {}), (_key, value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      return render(value);
    } catch {
      return value;
    }
  }) as Record<string, unknown>;
}

/** What the runner needs of an action (TemplateAction's handler takes its own context type). */
interface RunnableAction {
  readonly schema?: { readonly input?: unknown };
  handler(ctx: never): Promise<void>;
}

const isTruthy = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : Boolean(v));

const acceptedEntities = new Set<string>();

/**
 * Fails for an entity the real catalog would refuse (Backstage's own validators): a stub catalog
 * must not hold what no portal could.
 */
async function assertCatalogAccepts(entities: readonly Entity[]): Promise<void> {
  for (const entity of entities) {
    const key = JSON.stringify(entity);
    if (acceptedEntities.has(key)) continue;
    const problems = await validateEntity(entity);
    if (problems.length > 0) {
      throw new Error(
        `the catalog would refuse ${stringifyEntityRef(entity)}: ${problems.join('; ')}`,
      );
    }
    acceptedEntities.add(key);
  }
}

export async function runTemplate(name: string, o: RunOptions): Promise<TemplateRun> {
  const template = distTemplate(name);
  await assertCatalogAccepts(o.catalog);
  const steps: StepRun[] = [];
  const rejected = formErrors(template, o.parameters);
  const stub = new GitlabStub(o.stack.gitlabUrl);
  if (rejected.length > 0) {
    return { rejected, steps, gitlabWrites: 0 };
  }
  const environment = stackEnvironment(o.stack);
  const { integrations } = environment;
  const claimsProject = `${o.stack.platformGroup}/${o.stack.claimsProject}`;
  const claims = stub.project(claimsProject, { 'README.md': '# claims\n', ...o.claims });
  const entities = [...o.catalog];
  const catalog = {
    getEntityByRef: (ref: string | { kind: string; namespace: string; name: string }) =>
      Promise.resolve(
        entities.find(
          (e) =>
            stringifyEntityRef(e) ===
            (typeof ref === 'string'
              ? stringifyEntityRef(parseEntityRef(ref))
              : stringifyEntityRef(ref)),
        ),
      ),
  };
  const published: { files?: Record<string, string> } = {};
  const registered: string[] = [];
  const registerCatalog = {
    addLocation: (req: { type: string; target: string; dryRun?: boolean }) => {
      if (req.dryRun !== true) registered.push(req.target);
      const entity = published.files?.['catalog-info.yaml'];
      return Promise.resolve({ entities: entity === undefined ? [] : [parse(entity) as Entity] });
    },
  };
  const { fetchTemplate, mergeRequest, renderer } = stackTools(o.stack);
  const actions: Record<string, RunnableAction> = {
    'fetch:template': fetchTemplate,
    'catalog:register': createCatalogRegisterAction({
      catalog: registerCatalog as never,
      integrations,
    }),
    'catalog:fetch': createFetchCatalogEntityAction({ catalog: catalog as never }),
    'publish:gitlab:merge-request': mergeRequest,
    'platform:claims:check-new': createClaimCheckAction({
      integrations,
      createClient: (c) => new (stub.clientClass())(c) as never,
    }),
    'platform:catalog:require': createRequireEntityAction({ catalog }),
    'platform:catalog:gitlab-group': createGitlabGroupAction({ catalog }),
    'platform:catalog:absent': createEntityAbsentAction({ catalog }),
  };
  const outputs: Record<string, { output: Record<string, unknown> }> = {};
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'template-run-'));
  const restore = installGitlabStub(stub);
  try {
    for (const step of template.spec.steps) {
      const context = renderer.prepareContext({
        parameters: o.parameters,
        environment: { parameters: environment.parameters, secrets: environment.secrets },
        secrets: { USER_OAUTH_TOKEN: 'user-oauth-token' },
        steps: outputs,
        user: o.user === null ? {} : { ref: o.user ?? 'user:default/jane.doe' },
        context: { task: { id: 'task' } },
      } as never);
      const render = (v: string): unknown => renderer.renderValue(v, context);
      if (step.if !== undefined && !isTruthy(renderInput({ v: step.if }, render).v)) {
        steps.push({ id: step.id, action: step.action, input: {}, output: {}, skipped: 'if' });
        outputs[step.id] = { output: {} };
        continue;
      }
      const input = renderInput(step.input, render);
      const output: Record<string, unknown> = {};
      try {
        if (step.action === 'publish:gitlab') {
          const { host, owner, repo } = parseRepoUrl(input.repoUrl as string, integrations);
          const web = `${integrations.gitlab.byHost(host)!.config.baseUrl}/${owner}/${repo}`;
          published.files = filesUnder(workspace);
          Object.assign(output, {
            remoteUrl: web,
            repoContentsUrl: `${web}/-/blob/${typeof input.defaultBranch === 'string' ? input.defaultBranch : 'main'}`,
          });
          steps.push({ id: step.id, action: step.action, input, output, skipped: 'not-run' });
          outputs[step.id] = { output };
          continue;
        }
        const action = actions[step.action];
        if (action === undefined) {
          throw new Error(`${step.action} is not an action the offline runner knows`);
        }
        if (action.schema?.input !== undefined) {
          const result = jsonschema.validate(input, action.schema.input);
          if (!result.valid) {
            throw new Error(
              `Invalid input passed to action ${step.action}, ${result.errors.map((e) => e.stack).join(', ')}`,
            );
          }
        }
        const ctx = actionContext({
          input,
          workspacePath: workspace,
          templateDir: path.join(TEMPLATES, name),
          stepId: step.id,
        });
        try {
          await action.handler(ctx.context as never);
        } finally {
          ctx.cleanup();
        }
        Object.assign(output, ctx.outputs);
        steps.push({ id: step.id, action: step.action, input, output });
        outputs[step.id] = { output };
      } catch (e) {
        steps.push({ id: step.id, action: step.action, input, output });
        return finish({ step: step.id, error: e as Error });
      }
    }
    return finish();
  } finally {
    restore();
    fs.rmSync(workspace, { recursive: true, force: true });
  }

  function finish(failed?: { step: string; error: Error }): TemplateRun {
    const mr = claims.mergeRequests[0];
    const main = claims.files('main');
    const mergeRequestFiles =
      mr === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(claims.files(mr.source_branch)).filter(([f, c]) => main[f] !== c),
          );
    return {
      steps,
      ...(failed !== undefined ? { failed } : {}),
      ...(mergeRequestFiles !== undefined ? { mergeRequestFiles, mergeRequest: mr } : {}),
      ...(published.files !== undefined ? { published: published.files } : {}),
      registered,
      gitlabWrites: stub.writes().length,
    };
  }
}

const tools = new Map<StackEnvironment, ReturnType<typeof createStackTools>>();

/** What a run needs that depends on the stack only (built once per stack: they are slow). */
function stackTools(stack: TemplateStack): ReturnType<typeof createStackTools> {
  const environment = stackEnvironment(stack);
  let t = tools.get(environment);
  if (t === undefined) {
    t = createStackTools(environment.integrations);
    tools.set(environment, t);
  }
  return t;
}

function createStackTools(integrations: ScmIntegrations) {
  return {
    fetchTemplate: createFetchTemplateAction({
      reader: { readUrl: refuse, readTree: refuse, search: refuse },
      integrations,
    }),
    mergeRequest: createPublishGitlabMergeRequestAction({ integrations }),
    // The filters the templates use, as the scaffolder registers them.
    renderer: createTemplateRenderer({
      allowRegexExecution: true,
      filters: { parseRepoUrl: (url) => parseRepoUrl(url as string, integrations) },
    }),
  };
}

function refuse(): Promise<never> {
  return Promise.reject(new Error('no remote reads in tests'));
}
