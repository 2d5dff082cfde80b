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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitlab-ci-'));
  try {
    fs.writeFileSync(path.join(dir, '.gitlab-ci.yml'), content);
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    };
    git('init', '--quiet', `--initial-branch=${branch}`);
    git('add', '.gitlab-ci.yml');
    git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '--quiet', '-m', 'ci');
    git('remote', 'add', 'origin', 'https://gitlab.example.com/acme/project.git');
    const run = spawnSync(CLI, ['--list'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { ok: run.status === 0, output: `${run.stdout.toString()}${run.stderr.toString()}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
