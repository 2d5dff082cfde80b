import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  agentConfig,
  CLAIMS_AGENT,
  claimKinds,
  claimPath,
  claimsPipeline,
  claimsRepositoryFiles,
  groupCheckScript,
  layoutCheckScript,
  type ClaimKind,
} from './claims-repository';
import { runClaimsCheck, type CheckRun } from '../../testing/claims-checkout';
import { checkGitlabCi, pipelineJobs } from '../../testing/gitlab-ci';
import { plain, readmeTable } from '../../testing/readme';
import { buildPlatformCharts, type PlatformCharts } from '../../charts/platform';
import { testApp } from '../../testing/cdk8s-app';

let charts: PlatformCharts;
let kinds: ClaimKind[];
beforeAll(() => {
  charts = buildPlatformCharts(testApp());
  kinds = claimKinds(charts);
});

/** Runs the layout check in a checkout holding `files`; its exit code and stderr. */
const checkLayout = (files: readonly string[]): CheckRun =>
  runClaimsCheck(layoutCheckScript(kinds), Object.fromEntries(files.map((f) => [f, 'kind: X\n'])));

// gitlab-ci-local runs take 1–3 s each on a loaded two-core machine; its runner kills one after 60 s.
describe('the claims repository', { timeout: 150_000 }, () => {
  it('has one kind of claim per platform API, scoped as the API is', () => {
    expect(kinds.map((k) => [k.apiVersion, k.kind, k.plural, k.namespaced])).toEqual([
      [charts.teamNamespace.api.apiVersion, 'TeamNamespace', 'teamnamespaces', false],
      [charts.database.api.apiVersion, 'PostgresDatabase', 'postgresdatabases', true],
    ]);
  });

  it('puts each claim at a path derived from its kind, namespace and name', () => {
    const [ns, db] = kinds;
    expect(claimPath(ns, 'team-a')).toBe('claims/teamnamespaces/team-a.yaml');
    expect(claimPath(db, 'orders', 'team-a')).toBe('claims/postgresdatabases/team-a/orders.yaml');
    expect(() => claimPath(db, 'orders')).toThrow(/PostgresDatabase is namespaced/);
    expect(() => claimPath(ns, 'team-a', 'x')).toThrow(/TeamNamespace is cluster-scoped/);
  });

  it('accepts claims at their paths, and names every file that is not', () => {
    const [ns, db] = kinds;
    const good = [claimPath(ns, 'team-a'), claimPath(db, 'orders', 'team-a'), 'groups/team-a.json'];
    expect(checkLayout(good)).toEqual({ status: 0, stderr: '' });
    expect(checkLayout([])).toEqual({ status: 0, stderr: '' });
    for (const bad of [
      'claims/teamnamespaces/nested/team-a.yaml',
      'claims/postgresdatabases/orders.yaml',
      'claims/postgresdatabases/team-a/deep/orders.yaml',
      'claims/secrets/team-a.yaml',
      'claims/teamnamespaces/team-a.yml',
      'claims/teamnamespaces/.hidden.yaml',
      'groups/nested/team-a.json',
      'groups/team-a.yaml',
    ]) {
      const result = checkLayout([...good, bad]);
      expect(result.status, bad).toBe(1);
      expect(result.stderr).toBe(
        `${bad}: not a claim path; claims live at claims/teamnamespaces/<name>.yaml, claims/postgresdatabases/<namespace>/<name>.yaml, groups/<path>.json\n`,
      );
    }
  });

  it('accepts Group requests for a subgroup of the customers group, and rejects others', () => {
    const entity = (name: string, teamPath: string, displayName: unknown = 'Team A') => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name, annotations: { 'gitlab.example.com/team-path': teamPath } },
      spec: { type: 'team', profile: { displayName }, parent: 'customers', children: [] },
    });
    const run = (files: Record<string, unknown>): number =>
      runClaimsCheck(
        groupCheckScript(),
        Object.fromEntries(Object.entries(files).map(([f, c]) => [f, JSON.stringify(c)])),
        { CUSTOMERS_GROUP_PATH: 'acme/customers' },
      ).status;
    expect(run({})).toBe(0);
    expect(run({ 'groups/team-a.json': entity('customers-team-a', 'acme/customers/team-a') })).toBe(
      0,
    );
    // Another group's path, another name, no display name, not a Group.
    expect(run({ 'groups/team-a.json': entity('customers-team-a', 'acme/platform-team') })).toBe(1);
    expect(run({ 'groups/team-a.json': entity('customers-team-b', 'acme/customers/team-a') })).toBe(
      1,
    );
    expect(
      run({ 'groups/team-a.json': entity('customers-team-a', 'acme/customers/team-a', '') }),
    ).toBe(1);
    expect(run({ 'groups/team-a.json': { kind: 'Component' } })).toBe(1);

    // Many requests at once (one jq reads them all): exactly the bad files are named, whatever
    // their neighbours; a file that is not one JSON value is not a request.
    const good = (path: string): string =>
      JSON.stringify(entity(`customers-${path}`, `acme/customers/${path}`));
    const files: Record<string, string> = {
      'groups/team-a.json': good('team-a'),
      'groups/team-b.json': good('team-c'),
      'groups/team-c.json': '{"apiVersion": ',
      'groups/team-d.json': '',
      'groups/team-e.json': `${good('team-e')}\n${good('team-e')}`,
      // Cut short, before a good file: each file is judged on its own text alone.
      'groups/team-f.json': good('team-f').slice(0, -1),
      'groups/team-g.json': `${good('team-g')}\r\n`,
      'groups/nested/team-h.json': good('team-h'),
      'groups/team-i.json': JSON.stringify(entity('customers-team-i', 'acme/customers/team-i', 7)),
    };
    const many = runClaimsCheck(groupCheckScript(), files, {
      CUSTOMERS_GROUP_PATH: 'acme/customers',
    });
    expect(many.status).toBe(1);
    expect(many.stderr.split('\n').filter((l) => l !== '')).toEqual(
      ['b', 'c', 'd', 'e', 'f', 'i'].map(
        (t) =>
          `groups/team-${t}.json: not a Group request for acme/customers/team-${t} (see the customer-group template)`,
      ),
    );
  });

  it('validates on merge requests and applies on the default branch, through the agent', () => {
    const check = checkGitlabCi(claimsPipeline(kinds));
    expect(check.ok, check.output).toBe(true);
    const pipeline = parse(claimsPipeline(kinds));
    expect(pipeline.stages).toEqual(['validate', 'apply']);
    expect(Object.keys(pipeline).filter((k) => pipeline[k].stage !== undefined)).toEqual([
      'layout',
      'dry-run',
      'groups',
      'apply',
    ]);
    // The context GitLab gives CI jobs for an agent: <agent configuration project>:<agent name>.
    expect(pipeline.variables.KUBE_CONTEXT).toBe(`$CI_PROJECT_PATH:${CLAIMS_AGENT.name}`);
    expect(agentConfig('g/claims').path).toBe(`.gitlab/agents/${CLAIMS_AGENT.name}/config.yaml`);
    const dryRun = pipeline['dry-run'].script.join('\n');
    expect(dryRun).toContain('kubectl config use-context "$KUBE_CONTEXT"');
    expect(dryRun).toMatch(
      /kubectl apply --server-side .*--dry-run=server --recursive -f claims\//,
    );
    expect(pipeline['dry-run'].rules).toBeUndefined();
    const apply = pipeline.apply;
    expect(apply.rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
    expect(apply.script.join('\n')).not.toContain('--dry-run');
    expect(apply.script.join('\n')).not.toMatch(/--prune|delete/);
    // Groups are created before the claims that name them as owners are applied.
    expect(apply.needs).toEqual(['groups']);
    expect(pipeline.groups.rules).toEqual(apply.rules);
    expect(pipeline.groups.needs).toEqual(['dry-run']);
    expect(pipeline.groups.script.join('\n')).toContain('$CUSTOMER_GROUPS_TOKEN');
    // Merge-request jobs never see the group token (a protected variable) nor use it.
    for (const job of ['layout', 'dry-run']) {
      expect(pipeline[job].script.join('\n'), job).not.toContain('CUSTOMER_GROUPS_TOKEN');
    }
    // The jobs that write run one at a time, in merge order, each in its own resource group, and
    // are never cancelled half-way; the validation jobs of a superseded pipeline may be.
    expect([pipeline.groups.resource_group, apply.resource_group]).toEqual([
      'platform-groups',
      'platform-claims',
    ]);
    expect(['layout', 'dry-run', 'groups', 'apply'].map((j) => pipeline[j].interruptible)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    // Pipelines run for merge requests and the default branch, not twice per push.
    expect(pipeline.workflow.rules.map((r: { if: string }) => r.if)).toEqual([
      '$CI_PIPELINE_SOURCE == "merge_request_event"',
      '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"',
    ]);
    expect(pipeline.default.image.name).toMatch(/^[\w./-]+:[\w.-]+$/);
  });

  it("is what the README's pipeline table says: every job, and when it runs", () => {
    const content = claimsPipeline(kinds);
    const pipeline = parse(content) as Record<string, { stage?: string; resource_group?: string }>;
    const jobs = Object.keys(pipeline).filter((k) => pipeline[k].stage !== undefined);
    // The jobs GitLab's rules put in each pipeline, as gitlab-ci-local evaluates them (the same
    // pipeline the test above validated against GitLab's CI schema).
    const mergeRequest = pipelineJobs(
      content,
      'claims/teamnamespaces/team-a',
      'merge_request_event',
    );
    const main = pipelineJobs(content, 'main', 'push');
    const when = (job: string): string => {
      const on = [
        ...(mergeRequest.includes(job) ? ['merge requests'] : []),
        ...(main.includes(job) ? ['`main`'] : []),
      ];
      const runs = on.length === 1 ? `${on[0]} only` : on.join(', ');
      return pipeline[job].resource_group !== undefined ? `${runs}, one at a time` : runs;
    };
    const table = readmeTable('## Deploying with `pulumi up`', 'Job');
    expect(table.rows.map((r) => plain(r.Job))).toEqual(jobs);
    expect(Object.fromEntries(table.rows.map((r) => [plain(r.Job), r.When]))).toEqual(
      Object.fromEntries(jobs.map((j) => [j, when(j)])),
    );
    expect(mergeRequest).toEqual(['layout', 'dry-run']);
  });

  it('writes the files dist/claims-repository holds', () => {
    const files = claimsRepositoryFiles(charts);
    expect(Object.keys(files).sort()).toEqual(['.gitlab-ci.yml', 'README.md']);
    for (const [file, content] of Object.entries(files)) {
      expect(fs.readFileSync(path.join('dist', 'claims-repository', file), 'utf8'), file).toBe(
        content,
      );
    }
    expect(fs.readdirSync(path.join('dist', 'claims-repository')).sort()).toEqual([
      '.gitlab-ci.yml',
      'README.md',
    ]);
  });
});
