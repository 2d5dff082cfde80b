import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, TEST_TIMEOUT_MS, type Run } from '../testing/cli';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const TOKEN = 'glpat-preflight-test-token-never-shown';

/** Runs the preflight CLI on a stack file written from `yaml`. */
function preflight(name: string, yaml: string, env: Record<string, string> = {}): Promise<Run> {
  const file = path.join(work, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, yaml);
  return runScript('preflight', ['--stack', name, '--stack-file', file], { env });
}

describe.concurrent('npm run preflight', { timeout: TEST_TIMEOUT_MS }, () => {
  it('prints the cause of a network failure, never the token', async () => {
    // A name under .invalid never resolves (RFC 6761): a real failure of the real fetch.
    const run = await preflight(
      'unresolvable',
      'config:\n  platform:baseDomain: idp.example.com\n  platform:gitlabUrl: https://gitlab.invalid\n',
      { GITLAB_ADMIN_TOKEN: TOKEN },
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /^Preflight of stack "unresolvable" against https:\/\/gitlab\.invalid\n\nFAIL {2}GitLab answers {2}request failed: getaddrinfo (ENOTFOUND gitlab\.invalid: the host name does not resolve: check gitlabUrl and DNS|EAI_AGAIN gitlab\.invalid: .+)\n$/,
    );
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('names the file and line of a broken stack file, and the keys of a broken configuration', async () => {
    const [yaml, namespace] = await Promise.all([
      preflight('yaml', 'config:\n  platform:baseDomain: a: b\n'),
      preflight(
        'namespace',
        'config:\n  platform:baseDomain: idp.example.com\n  platfrom:gitlabUrl: https://gitlab.example.com\n',
      ),
    ]);
    expect(yaml.status).toBe(1);
    expect(yaml.stderr).toMatch(
      /^\S*Pulumi\.yaml\.yaml:2:24: not valid YAML: Nested mappings are not allowed in compact mappings\n$/,
    );
    expect(namespace.status).toBe(1);
    expect(namespace.stderr).toMatch(
      /^Invalid stack configuration in \S*Pulumi\.namespace\.yaml:\n {2}- platfrom:gitlabUrl is not allowed: "platfrom" is not a namespace of this stack; its settings are platform:<key> \(did you mean platform:gitlabUrl\?\), and pulumi:<key> for the engine\n$/,
    );
    expect(namespace.stdout).toBe(''); // nothing was asked of GitLab
  });

  it('answers an unknown option or stack with one line and the usage', async () => {
    const [option, stack] = await Promise.all([
      runScript('preflight', ['--token', 'x']),
      runScript('preflight', ['--stack', 'staging']),
    ]);
    for (const [run, line] of [
      [option, "preflight: Unknown option '--token'"],
      [stack, 'preflight: no stack "staging": there is no Pulumi.staging.yaml; the stacks are dev'],
    ] as const) {
      expect(run.status, line).toBe(2);
      const [first, ...usage] = run.stderr.trimEnd().split('\n');
      expect(first).toBe(line);
      expect(usage[0]).toMatch(/^usage: GITLAB_ADMIN_TOKEN=<token> npm run preflight -- /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
