/**
 * Renders a template's skeleton with Backstage's own `fetch:template` action (from
 * @backstage/plugin-scaffolder-backend), driven with a test action context: the same Nunjucks
 * environment, filters and file-name templating the portal uses. Skeletons are read from a local
 * folder (a `file:` template base URL), so nothing is fetched over the network.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';

const refuse = (): Promise<never> => Promise.reject(new Error('no remote reads in tests'));

let action: ReturnType<typeof createFetchTemplateAction> | undefined;

function fetchTemplate(): ReturnType<typeof createFetchTemplateAction> {
  action ??= createFetchTemplateAction({
    reader: { readUrl: refuse, readTree: refuse, search: refuse },
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
  });
  return action;
}

/** Every file under `dir` with its text, by path relative to `dir` (after `prefix/`, if given). */
export function filesUnder(dir: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      Object.assign(files, filesUnder(path.join(dir, entry.name), rel));
    } else {
      files[rel] = fs.readFileSync(path.join(dir, entry.name), 'utf8');
    }
  }
  return files;
}

/** Writes `files` under `dir` (paths relative to it). */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
}

export interface FetchTemplateInput {
  readonly url: string;
  readonly targetPath?: string;
  readonly values: Record<string, unknown>;
  readonly trimBlocks?: boolean;
  readonly lstripBlocks?: boolean;
}

export interface TestActionContext {
  /** What a template action receives (cast to the action's own context type where called). */
  readonly context: Record<string, unknown>;
  /** What the action output, by name. */
  readonly outputs: Record<string, unknown>;
  /** Removes the temporary directories the action asked for. */
  cleanup(): void;
}

/**
 * An action context as the scaffolder's workflow runner builds it (NunjucksWorkflowRunner in
 * @backstage/plugin-scaffolder-backend 4.2.0): checkpoints keep their successful results in
 * `checkpoints` (pass the same map again to replay a task retry), credentials are the initiator's.
 */
export function actionContext(o: {
  input: Record<string, unknown>;
  workspacePath: string;
  templateDir?: string;
  checkpoints?: Map<string, unknown>;
  isDryRun?: boolean;
  stepId?: string;
}): TestActionContext {
  const temporary: string[] = [];
  const outputs: Record<string, unknown> = {};
  const checkpoints = o.checkpoints ?? new Map<string, unknown>();
  const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
  const stepId = o.stepId ?? 'step';
  return {
    outputs,
    cleanup: () => temporary.forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
    context: {
      input: o.input,
      workspacePath: o.workspacePath,
      logger: silent,
      logStream: new PassThrough(),
      output: (name: string, value: unknown) => {
        outputs[name] = value;
      },
      createTemporaryDirectory: () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffolder-tmp-'));
        temporary.push(dir);
        return Promise.resolve(dir);
      },
      checkpoint: async (opts: { key: string; fn: () => unknown }) => {
        const key = `v1.task.checkpoint.${stepId}.${opts.key}`;
        if (checkpoints.has(key)) {
          return checkpoints.get(key);
        }
        const value = await opts.fn();
        checkpoints.set(key, value ?? {});
        return value;
      },
      getInitiatorCredentials: () =>
        Promise.resolve({
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'user', userEntityRef: 'user:default/tester' },
        }),
      task: { id: 'test-task' },
      step: { id: stepId, name: stepId },
      secrets: {},
      isDryRun: o.isDryRun ?? false,
      ...(o.templateDir !== undefined
        ? {
            templateInfo: {
              baseUrl: `file://${path.resolve(o.templateDir)}/template.yaml`,
              entityRef: 'template:default/test',
            },
          }
        : {}),
    },
  };
}

/**
 * Runs fetch:template for a template whose `template.yaml` is in `templateDir`, and returns the
 * workspace's files by path.
 */
export async function renderSkeleton(
  templateDir: string,
  input: FetchTemplateInput,
): Promise<Record<string, string>> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffolder-ws-'));
  const ctx = actionContext({
    input: input as unknown as Record<string, unknown>,
    workspacePath: workspace,
    templateDir,
    stepId: 'renderClaim',
  });
  try {
    await fetchTemplate().handler(ctx.context as never);
    return filesUnder(workspace);
  } finally {
    ctx.cleanup();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}
