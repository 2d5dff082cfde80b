/**
 * `platform:claims:check-new`: runs before a template's merge request on the claims repository
 * and only reads GitLab. It exists because of what `publish:gitlab:merge-request` does in the
 * GitLab scaffolder module we pin (0.12.0, dist/actions/gitlabMergeRequest.cjs.js):
 *
 * - it throws InputError whenever the source branch already exists, with or without a merge
 *   request, and that check runs outside any checkpoint, so even the scaffolder's own retry of a
 *   half-finished task fails there;
 * - with `commitAction: create` it creates the branch first and commits second: a claim file that
 *   is already on the target branch fails the commit AFTER the branch was created, and that empty
 *   branch then blocks every later run for the same claim name.
 *
 * This check fails, before anything is written, with a message naming what is in the way: the
 * claim file already on the target branch, the open merge request of an earlier run, or a branch
 * left by a failed run (and how to proceed). It reads with the integration's own token (the
 * portal's read-only token), never with the token that can write.
 *
 * Dry-run: not supported, on purpose. Its answer depends on the claims repository's state at
 * that moment, not on the template; a dry-run (the template editor, CI checking templates)
 * renders the claim and skips this step like the merge request it guards.
 */
import * as path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { ScmIntegrationRegistry } from '@backstage/integration';
import {
  createTemplateAction,
  parseRepoUrl,
  serializeDirectoryContents,
  type TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { Gitlab } from '@gitbeaker/rest';

export const CLAIM_CHECK_ACTION_ID = 'platform:claims:check-new';

/** The calls this action makes: all of them read. */
export interface GitlabReader {
  RepositoryFiles: { show(projectId: string, filePath: string, ref: string): Promise<unknown> };
  Branches: { show(projectId: string, branchName: string): Promise<{ web_url?: string }> };
  MergeRequests: {
    all(options: {
      projectId: string;
      sourceBranch: string;
      state: 'opened';
    }): Promise<{ web_url?: string; iid?: number; title?: string }[]>;
  };
}

export interface ClaimCheckOptions {
  readonly integrations: ScmIntegrationRegistry;
  /** The GitLab client for a host; @default the @gitbeaker/rest client the GitLab module uses */
  readonly createClient?: (options: { host: string; token: string }) => GitlabReader;
}

/** The HTTP status of a failed @gitbeaker request (its `cause.response`), if it has one. */
function statusOf(error: unknown): number | undefined {
  const cause = (error as { cause?: { response?: { status?: unknown } } } | null)?.cause;
  return typeof cause?.response?.status === 'number' ? cause.response.status : undefined;
}

/** Resolves to false when GitLab answers 404, true when it answers; other errors throw. */
async function exists(read: () => Promise<unknown>, what: string): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) {
      return false;
    }
    const detail = (error as { cause?: { description?: string } }).cause?.description;
    throw new Error(
      `Could not check ${what} on GitLab: ${String(error)}${detail !== undefined ? ` (${detail})` : ''}`,
      { cause: error },
    );
  }
}

/** The action's input: the merge request step's repository, branches and paths. */
export interface ClaimCheckInput {
  [key: string]: string;
  repoUrl: string;
  branchName: string;
  targetBranchName: string;
  sourcePath: string;
  targetPath: string;
}

export function createClaimCheckAction(
  options: ClaimCheckOptions,
): TemplateAction<ClaimCheckInput> {
  const { integrations } = options;
  const createClient =
    options.createClient ?? ((o) => new Gitlab({ host: o.host, token: o.token }) as GitlabReader);
  return createTemplateAction({
    id: CLAIM_CHECK_ACTION_ID,
    description:
      'Fails, before anything is written, when the claim already exists on the target branch of the claims repository or its branch is left from an earlier run. Reads only.',
    supportsDryRun: false,
    schema: {
      input: {
        repoUrl: (z) =>
          z.string().describe('The claims repository, as the merge request step has it'),
        branchName: (z) =>
          z.string().describe('The merge request branch the template would create'),
        targetBranchName: (z) => z.string().describe('The branch the claim is merged into'),
        sourcePath: (z) => z.string().describe('Workspace directory with the rendered files'),
        targetPath: (z) => z.string().describe('Where the files go in the repository'),
      },
    },
    async handler(ctx) {
      const { repoUrl, branchName, targetBranchName, sourcePath, targetPath } = ctx.input;
      const { host, owner, repo } = parseRepoUrl(repoUrl, integrations);
      const integration = integrations.gitlab.byHost(host);
      if (integration === undefined || integration.config.token === undefined) {
        throw new InputError(
          `No GitLab integration with a token for ${host}: the claims repository cannot be read`,
        );
      }
      const project = `${owner}/${repo}`;
      const web = `${integration.config.baseUrl}/${project}`;
      const api = createClient({
        host: integration.config.baseUrl,
        token: integration.config.token,
      });

      // The paths the merge request would create, computed as publish:gitlab:merge-request does.
      const files = await serializeDirectoryContents(
        resolveSafeChildPath(ctx.workspacePath, sourcePath),
        { gitignore: true },
      );
      const paths = files.map((f) => path.posix.join(targetPath, f.path));
      const claimed: string[] = [];
      for (const p of paths) {
        if (await exists(() => api.RepositoryFiles.show(project, p, targetBranchName), p)) {
          claimed.push(p);
        }
      }
      if (claimed.length > 0) {
        throw new InputError(
          `Already claimed: ${claimed.map((p) => `${web}/-/blob/${targetBranchName}/${p}`).join(', ')} ${claimed.length === 1 ? 'is' : 'are'} on ${targetBranchName} of ${project}. This template only creates claims; change an existing one with a merge request on its file.`,
        );
      }

      let branchUrl = `${web}/-/tree/${branchName}`;
      const branchExists = await exists(async () => {
        branchUrl = (await api.Branches.show(project, branchName)).web_url ?? branchUrl;
      }, `the branch ${branchName}`);
      if (branchExists) {
        const open = await api.MergeRequests.all({
          projectId: project,
          sourceBranch: branchName,
          state: 'opened',
        });
        if (open.length > 0) {
          throw new InputError(
            `A merge request for this claim is already open: ${open.map((mr) => mr.web_url ?? `!${mr.iid}`).join(', ')} (branch ${branchName} of ${project}). Review or close it instead of running the template again.`,
          );
        }
        throw new InputError(
          `The branch ${branchName} of ${project} exists without an open merge request (${branchUrl}): an earlier run of this template stopped after creating it, or its merge request was closed. Delete the branch (${web}/-/branches) and run the template again.`,
        );
      }
      ctx.logger.info(
        `${paths.join(', ')} not on ${targetBranchName} of ${project}, no branch ${branchName}: the merge request can be opened`,
      );
    },
  });
}
