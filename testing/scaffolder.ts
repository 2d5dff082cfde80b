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

/**
 * Runs fetch:template for a template whose `template.yaml` is in `templateDir`, and returns the
 * workspace's files by path.
 */
export async function renderSkeleton(
  templateDir: string,
  input: FetchTemplateInput,
): Promise<Record<string, string>> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffolder-ws-'));
  const temporary: string[] = [];
  const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
  try {
    await fetchTemplate().handler({
      input,
      workspacePath: workspace,
      logger: silent,
      logStream: new PassThrough(),
      output: () => {},
      createTemporaryDirectory: () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffolder-tmp-'));
        temporary.push(dir);
        return Promise.resolve(dir);
      },
      checkpoint: (opts: { fn: () => unknown }) => Promise.resolve(opts.fn()),
      getInitiatorCredentials: () =>
        Promise.resolve({
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'user', userEntityRef: 'user:default/tester' },
        }),
      task: { id: 'test-task' },
      step: { id: 'renderClaim', name: 'render' },
      secrets: {},
      templateInfo: {
        baseUrl: `file://${path.resolve(templateDir)}/template.yaml`,
        entityRef: 'template:default/test',
      },
    } as never);
    return filesUnder(workspace);
  } finally {
    for (const dir of [workspace, ...temporary]) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
