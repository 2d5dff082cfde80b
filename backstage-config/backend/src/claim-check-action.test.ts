/**
 * The merge request a claim template opens, through the real code of the pinned GitLab
 * scaffolder module's `publish:gitlab:merge-request` and of the portal's check before it, with
 * the @gitbeaker client stubbed at the library boundary (testing/gitlab-client.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createPublishGitlabMergeRequestAction } from '@backstage/plugin-scaffolder-backend-module-gitlab';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitlabStub, installGitlabStub, type StubProject } from '../../../testing/gitlab-client';
import { actionContext, writeFiles } from '../../../testing/scaffolder';
import { CLAIM_CHECK_ACTION_ID, createClaimCheckAction } from './claim-check-action';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: {
      gitlab: [
        {
          host: 'gitlab.example.com',
          apiBaseUrl: 'https://gitlab.example.com/api/v4',
          token: 'read-token',
        },
      ],
    },
  }),
);

const CLAIM = 'claims/teamnamespaces/team-a.yaml';
const CLAIMS_WEB = 'https://gitlab.example.com/acme-platform/claims';
/** The merge request step's input as the team-namespace template renders it. */
const MR_INPUT = {
  repoUrl: 'gitlab.example.com?owner=acme-platform&repo=claims',
  token: 'scaffolder-token',
  branchName: 'claims/teamnamespaces/team-a',
  targetBranchName: 'main',
  title: 'TeamNamespace team-a',
  description: 'Creates the namespace `team-a`.',
  sourcePath: 'claim',
  targetPath: 'claims/teamnamespaces',
  commitAction: 'create',
  removeSourceBranch: true,
  labels: ['platform-claim'],
};
const CHECK_INPUT = {
  repoUrl: MR_INPUT.repoUrl,
  branchName: MR_INPUT.branchName,
  targetBranchName: MR_INPUT.targetBranchName,
  sourcePath: MR_INPUT.sourcePath,
  targetPath: MR_INPUT.targetPath,
};

let stub: GitlabStub;
let claims: StubProject;
let restore: () => void;
let workspace: string;

beforeEach(() => {
  stub = new GitlabStub('https://gitlab.example.com');
  claims = stub.project('acme-platform/claims', { 'README.md': '# claims\n' });
  restore = installGitlabStub(stub);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'claim-ws-'));
  writeFiles(workspace, { 'claim/team-a.yaml': 'kind: TeamNamespace\n' });
});
afterEach(() => {
  restore();
  fs.rmSync(workspace, { recursive: true, force: true });
});

const mergeRequest = createPublishGitlabMergeRequestAction({ integrations });
const check = createClaimCheckAction({
  integrations,
  createClient: (o) => new (stub.clientClass())(o) as never,
});

/** Runs the upstream merge-request action; `checkpoints` replays a task retry. */
async function openMergeRequest(checkpoints = new Map<string, unknown>()) {
  const ctx = actionContext({
    input: MR_INPUT,
    workspacePath: workspace,
    checkpoints,
    stepId: 'openMergeRequest',
  });
  await mergeRequest.handler(ctx.context as never);
  return ctx.outputs;
}

const runCheck = async (input: Record<string, unknown> = CHECK_INPUT) =>
  check.handler(actionContext({ input, workspacePath: workspace }).context as never);

describe('publish:gitlab:merge-request 0.12.0 (the pinned upstream action), as the templates call it', () => {
  it('opens a merge request for a new claim: a branch, one commit creating the file, the MR', async () => {
    const out = await openMergeRequest();
    expect(stub.writes().map((c) => c.method)).toEqual([
      'Branches.create',
      'Commits.create',
      'MergeRequests.create',
    ]);
    expect(claims.files('claims/teamnamespaces/team-a')[CLAIM]).toBe('kind: TeamNamespace\n');
    expect(claims.files('main')[CLAIM]).toBeUndefined();
    expect(out.mergeRequestUrl).toBe(`${CLAIMS_WEB}/-/merge_requests/1`);
    expect(claims.mergeRequests[0]).toMatchObject({ labels: ['platform-claim'], state: 'opened' });
  });

  it('fails AFTER creating the branch when the claim is already on main, and leaves that branch', async () => {
    claims.branches.get('main')!.set(CLAIM, 'kind: TeamNamespace\n');
    await expect(openMergeRequest()).rejects.toThrow(
      /^Committing the changes to claims\/teamnamespaces\/team-a failed/,
    );
    expect([...claims.branches.keys()]).toEqual(['main', 'claims/teamnamespaces/team-a']);
    expect(claims.mergeRequests).toEqual([]);
    // Every later run for that name now stops at the branch.
    claims.branches.get('main')!.delete(CLAIM);
    await expect(openMergeRequest()).rejects.toThrow(
      `The branch creation failed because the branch already exists at: ${CLAIMS_WEB}/-/tree/claims/teamnamespaces/team-a.`,
    );
  });

  it('refuses a second run while the merge request is open, naming it', async () => {
    await openMergeRequest();
    await expect(openMergeRequest()).rejects.toThrow(
      `Additionally, there is a Merge Request for this branch: ${CLAIMS_WEB}/-/merge_requests/1`,
    );
    expect(claims.mergeRequests).toHaveLength(1);
  });

  it("cannot be resumed by the scaffolder's retry: the branch check runs outside the checkpoints", async () => {
    stub.failOnce.set('MergeRequests.create', 500);
    const checkpoints = new Map<string, unknown>();
    await expect(openMergeRequest(checkpoints)).rejects.toThrow(/^Merge request creation failed/);
    // The commit's checkpoint is kept, as the scaffolder keeps it for a retried task ...
    expect([...checkpoints.keys()]).toEqual([
      'v1.task.checkpoint.openMergeRequest.commit.to.acme-platform/claims.claims/teamnamespaces/team-a',
    ]);
    // ... but the retry stops at the branch its first attempt created.
    await expect(openMergeRequest(checkpoints)).rejects.toThrow(/branch already exists/);
    expect(claims.mergeRequests).toEqual([]);
  });
});

describe(`${CLAIM_CHECK_ACTION_ID}, before the merge request`, () => {
  it('passes for a new claim, reading with the integration token and writing nothing', async () => {
    await runCheck();
    expect(stub.writes()).toEqual([]);
    expect(stub.calls.map((c) => c.method)).toEqual(['RepositoryFiles.show', 'Branches.show']);
    expect(stub.calls.every((c) => c.client.token === 'read-token')).toBe(true);
    expect(stub.calls[0].args).toEqual(['acme-platform/claims', CLAIM, 'main']);
    // ... and the merge request then goes through.
    await openMergeRequest();
    expect(claims.mergeRequests).toHaveLength(1);
  });

  it('stops a claim that is already on main before any branch exists, naming the file', async () => {
    claims.branches.get('main')!.set(CLAIM, 'kind: TeamNamespace\n');
    await expect(runCheck()).rejects.toThrow(
      `Already claimed: ${CLAIMS_WEB}/-/blob/main/${CLAIM} is on main of acme-platform/claims.`,
    );
    expect(stub.writes()).toEqual([]);
    expect([...claims.branches.keys()]).toEqual(['main']);
  });

  it('names every file of a request that is already there (customer-group writes two)', async () => {
    writeFiles(workspace, {
      'request/groups/team-b.json': '{}',
      'request/claims/teamnamespaces/team-b.yaml': 'kind: TeamNamespace\n',
    });
    claims.branches.get('main')!.set('groups/team-b.json', '{}');
    await expect(
      runCheck({ ...CHECK_INPUT, sourcePath: 'request', targetPath: '.' }),
    ).rejects.toThrow(`Already claimed: ${CLAIMS_WEB}/-/blob/main/groups/team-b.json is on main`);
    expect(
      stub.calls
        .filter((c) => c.method === 'RepositoryFiles.show')
        .map((c) => c.args[1])
        .sort(),
    ).toEqual(['claims/teamnamespaces/team-b.yaml', 'groups/team-b.json']);
  });

  it('names the open merge request of an earlier run', async () => {
    await openMergeRequest();
    await expect(runCheck()).rejects.toThrow(
      `A merge request for this claim is already open: ${CLAIMS_WEB}/-/merge_requests/1 (branch claims/teamnamespaces/team-a of acme-platform/claims)`,
    );
  });

  it('says how to proceed when a failed run left its branch', async () => {
    claims.branches.get('main')!.set(CLAIM, 'x');
    await expect(openMergeRequest()).rejects.toThrow(/Committing the changes/);
    claims.branches.get('main')!.delete(CLAIM);
    await expect(runCheck()).rejects.toThrow(
      `The branch claims/teamnamespaces/team-a of acme-platform/claims exists without an open merge request (${CLAIMS_WEB}/-/tree/claims/teamnamespaces/team-a): an earlier run of this template stopped after creating it, or its merge request was closed. Delete the branch (${CLAIMS_WEB}/-/branches) and run the template again.`,
    );
  });

  it('fails, without guessing, when GitLab does not answer the question', async () => {
    stub.failOnce.set('RepositoryFiles.show', 403);
    await expect(runCheck()).rejects.toThrow(
      `Could not check ${CLAIM} on GitLab: GitbeakerRequestError: 403 (stub failure) (403 (stub failure))`,
    );
  });

  it('is skipped in dry-runs: its answer is the repository state, not the template', () => {
    expect(check.supportsDryRun).toBe(false);
    expect(check.id).toBe('platform:claims:check-new');
  });
});
