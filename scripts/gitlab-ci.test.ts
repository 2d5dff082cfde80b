import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkGitlabCi } from '../testing/gitlab-ci';

const text = fs.readFileSync('.gitlab-ci.yml', 'utf8');
const pipeline = parse(text);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const stacks = fs
  .readdirSync('.')
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();

// gitlab-ci-local runs take 1–3 s each on a loaded two-core machine (more than Vitest's default
// 5 s with two suites at once); its runner kills one after 60 s.
describe("the platform repository's .gitlab-ci.yml", { timeout: 90_000 }, () => {
  it("is valid against GitLab's CI schema", () => {
    const check = checkGitlabCi(text);
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toContain('json schema validated');
  });

  it('tests, checks dist/ and upstream/ freshness and publishes the offline plan diff on merge requests', () => {
    expect(pipeline.test.script).toEqual(['npm test']);
    // The tests build Go programs: the job's image has the Go that testing/control-plane needs.
    const goMod = fs.readFileSync('testing/control-plane/go.mod', 'utf8');
    const goVersion = /^go (\S+)$/m.exec(goMod)![1];
    expect(pipeline.test.image).toMatch(/^docker\.io\/library\/golang:(\S+)-trixie$/);
    const [major, minor] = goVersion.split('.').map(Number);
    const [imageMajor, imageMinor] = /golang:(\d+)\.(\d+)/
      .exec(pipeline.test.image)!
      .slice(1)
      .map(Number);
    expect(imageMajor * 100 + imageMinor).toBeGreaterThanOrEqual(major * 100 + minor);
    expect(pipeline.test.before_script).toContain('npm ci --prefer-offline --no-audit --no-fund');
    expect(pipeline['upstream-fresh'].script).toEqual([
      'npm run import',
      'git diff --exit-code --stat -- upstream/ constructs/imports/',
    ]);
    expect(pipeline['dist-fresh'].script).toEqual([
      'npm run synth',
      'npm run plan -- --stack dev',
      'git diff --exit-code --stat -- dist/',
      'test -z "$(git status --porcelain --untracked-files=all -- dist/)"',
    ]);
    for (const script of ['synth', 'plan', 'test', 'import']) {
      expect(pkg.scripts[script], script).toBeDefined();
    }
    expect(pipeline['offline-plan'].rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
    ]);
    expect(pipeline['offline-plan'].artifacts.expose_as).toBeDefined();
    // Installs from the lockfile with a cache keyed on it.
    expect(pipeline.default.before_script).toContain(
      'npm ci --prefer-offline --no-audit --no-fund',
    );
    expect(pipeline.default.cache.key.files).toEqual(['package-lock.json']);
  });

  it('installs in the test job every Debian package .ci/run installs for the tests', () => {
    /** The packages of every `apt-get install` line of a script. */
    const aptPackages = (script: string): string[] =>
      [...script.matchAll(/apt-get install ([^\n>&|]+)/g)].flatMap((m) =>
        m[1].split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')),
      );
    const ciRun = aptPackages(fs.readFileSync('.ci/run', 'utf8'));
    expect(ciRun).toContain('shellcheck');
    const job = aptPackages((pipeline.test.before_script as string[]).join('\n'));
    expect(job).toEqual(expect.arrayContaining(ciRun));
  });

  it('previews every stack on merge requests and deploys each behind a manual gate on the default branch', () => {
    expect(pipeline.preview.parallel.matrix).toEqual([{ STACK: stacks }]);
    expect(pipeline.deploy.parallel.matrix).toEqual([{ STACK: stacks }]);
    expect(pipeline.preview.rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
    ]);
    expect(pipeline.deploy.rules).toEqual([
      { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: 'manual' },
    ]);
    expect(pipeline.deploy.allow_failure).toBe(false);
    expect(pipeline.deploy.environment.name).toBe('$STACK');
    expect(pipeline.deploy.resource_group).toBe('pulumi-$STACK');
    expect(pipeline.deploy.script.join('\n')).toMatch(/^pulumi up --yes/);
    // The CLI matches the SDK the program is built with; state and secrets come from variables.
    expect(pipeline.variables.PULUMI_VERSION).toBe(pkg.dependencies['@pulumi/pulumi']);
    expect(pipeline['.pulumi'].before_script).toContain('pulumi login "$PULUMI_BACKEND_URL"');
    expect(text).not.toMatch(/glpat-|PULUMI_CONFIG_PASSPHRASE: /);
  });

  it('reports what is wrong with an invalid pipeline', () => {
    const check = checkGitlabCi(text.replace('interruptible: true', 'interruptable: true'));
    expect(check.ok).toBe(false);
    expect(check.output).toContain("'interruptable' property is not expected to be here");
  });
});
