/**
 * Validates a `.gitlab-ci.yml` with gitlab-ci-local, which checks it against GitLab's own CI JSON
 * schema (unknown keys are errors) after expanding `extends`, and lists the jobs. It only parses:
 * no job runs, nothing is fetched (the pipelines we validate have no remote includes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', 'node_modules', '.bin', 'gitlab-ci-local');

export interface CiCheck {
  readonly ok: boolean;
  /** What gitlab-ci-local printed (the job list, or the schema errors). */
  readonly output: string;
}

/** Validates `content` as the `.gitlab-ci.yml` of a checkout of branch `branch`. */
export function checkGitlabCi(content: string, branch = 'main'): CiCheck {
  return listJobs(content, branch, [], ['--list']);
}

/**
 * The jobs gitlab-ci-local puts in a pipeline of `content` (their rules evaluated): pushed to
 * `branch` (`source` "push"), or for a merge request from it ("merge_request_event"). The
 * repository's default branch is `main`. It only lists: validate `content` with checkGitlabCi
 * (GitLab's CI schema, a second of CPU at each run of gitlab-ci-local, is not checked here).
 */
export function pipelineJobs(
  content: string,
  branch: string,
  source: 'push' | 'merge_request_event',
): string[] {
  const check = listJobs(
    content,
    branch,
    [
      '--variable',
      `CI_PIPELINE_SOURCE=${source}`,
      '--ignore-predefined-vars',
      'CI_PIPELINE_SOURCE',
    ],
    ['--list-csv', '--no-json-schema-validation'],
  );
  if (!check.ok) {
    throw new Error(`gitlab-ci-local refused the pipeline:\n${check.output}`);
  }
  const lines = check.output.split('\n');
  const header = lines.findIndex((l) => l.startsWith('name;'));
  return lines
    .slice(header + 1)
    .filter((l) => /^[\w-]+;/.test(l))
    .map((l) => l.split(';')[0]);
}

function listJobs(
  content: string,
  branch: string,
  variables: readonly string[],
  list: readonly string[],
): CiCheck {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitlab-ci-'));
  try {
    fs.writeFileSync(path.join(dir, '.gitlab-ci.yml'), content);
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    };
    git('init', '--quiet', '--initial-branch=main');
    git('add', '.gitlab-ci.yml');
    git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '--quiet', '-m', 'ci');
    git('remote', 'add', 'origin', 'https://gitlab.example.com/acme/project.git');
    if (branch !== 'main') {
      git('checkout', '--quiet', '-b', branch);
    }
    const run = spawnSync(CLI, [...list, ...variables], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      timeout: 60_000,
    });
    return { ok: run.status === 0, output: `${run.stdout.toString()}${run.stderr.toString()}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
