import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPlatformCharts } from '../../charts/platform';
import {
  CLAIMS_AGENT,
  claimKinds,
  claimsPipeline,
  groupCheckScript,
  groupCreateScript,
  GROUP_JOB_VARIABLES,
  layoutCheckScript,
} from './claims-repository';
import { pipelineScript, type ScriptName } from './scripts';
import { testApp } from '../../testing/cdk8s-app';

const SCRIPTS: readonly ScriptName[] = [
  'layout-check',
  'group-check',
  'group-create',
  'apply-claims',
];

/** shellcheck on a script given on stdin, as POSIX sh; its findings (empty when clean). */
function shellcheck(script: string): string {
  // One process per script, well under a second; explicit for a loaded two-core machine.
  const run = spawnSync('shellcheck', ['--shell=sh', '--format=gcc', '-'], {
    input: script,
    timeout: 30_000,
  });
  if (run.error !== undefined) {
    throw new Error(`shellcheck could not run (apt-get install shellcheck): ${run.error.message}`);
  }
  return run.stdout.toString();
}

/** The variables a script reads (`$NAME`, `${NAME...}`) that it does not set itself. */
function variablesRead(text: string): string[] {
  // Single-quoted text is not expanded (jq programs name their own $variables there).
  const script = text.replace(/'[^']*'/g, "''");
  const read = new Set([...script.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  const set = new Set(
    [...script.matchAll(/(?:^|[\s;(])([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]),
  );
  const loops = new Set(
    [...script.matchAll(/\bfor ([A-Za-z_][A-Za-z0-9_]*) in\b/g)].map((m) => m[1]),
  );
  return [...read].filter((v) => !set.has(v) && !loops.has(v)).sort();
}

describe("the claims pipeline's shell scripts", { timeout: 60_000 }, () => {
  const charts = buildPlatformCharts(testApp());
  const kinds = claimKinds(charts);
  const rendered: Record<ScriptName, string> = {
    'layout-check': layoutCheckScript(kinds),
    'group-check': groupCheckScript(),
    'group-create': groupCreateScript(),
    'apply-claims': pipelineScript('apply-claims', { DRY_RUN: ' --dry-run=server' }),
  };

  it('are real files, and the pipeline runs their bodies, filled in, without the comments', () => {
    for (const name of SCRIPTS) {
      const file = fs.readFileSync(path.join(__dirname, `${name}.sh`), 'utf8');
      expect(file.startsWith('#!/bin/sh\n'), name).toBe(true);
      const script = rendered[name];
      expect(script, name).not.toMatch(/^#|@[A-Z_]+@/m);
      // Every line of the body is the file's, but for the filled-in parts.
      expect(file, name).toContain(script.split('\n')[script.split('\n').length - 1]);
    }
    const pipeline = parse(claimsPipeline(kinds));
    expect(pipeline.layout.script).toEqual([rendered['layout-check'], rendered['group-check']]);
    expect(pipeline.groups.script).toEqual([rendered['group-create']]);
    expect(pipeline['dry-run'].script[1]).toBe(rendered['apply-claims']);
    expect(pipeline.apply.script[1]).toBe(pipelineScript('apply-claims', { DRY_RUN: '' }));
    expect(pipeline.apply.script[1]).toContain(
      `kubectl apply --server-side --field-manager=${CLAIMS_AGENT.fieldManager} --recursive -f claims/`,
    );
    expect(rendered['layout-check']).toContain(
      '    claims/postgresdatabases/[a-z0-9]*/[a-z0-9]*.yaml) case "${f#claims/postgresdatabases/*/}" in */*) bad "$f" ;; esac ;;',
    );
  });

  it('pass shellcheck as files and as the pipeline runs them', () => {
    for (const name of SCRIPTS) {
      expect(shellcheck(fs.readFileSync(path.join(__dirname, `${name}.sh`), 'utf8')), name).toBe(
        '',
      );
      expect(shellcheck(rendered[name]), name).toBe('');
    }
    // The check is live: a classic mistake is reported.
    expect(shellcheck('for f in $(find claims -type f); do echo $f; done\n')).toMatch(/SC2044/);
  });

  it('read only the CI/CD variables the stack sets and those GitLab predefines', () => {
    const read = SCRIPTS.flatMap((name) => variablesRead(rendered[name]));
    const ours: string[] = Object.values(GROUP_JOB_VARIABLES);
    expect(read.filter((v) => !v.startsWith('CI_') && !ours.includes(v))).toEqual([]);
    expect([...new Set(read.filter((v) => ours.includes(v)))].sort()).toEqual([...ours].sort());
    expect(variablesRead(rendered['group-create'])).toEqual([
      'CI_API_V4_URL',
      'CUSTOMERS_GROUP_ID',
      'CUSTOMERS_GROUP_PATH',
      'CUSTOMER_GROUPS_TOKEN',
    ]);
  });

  it('refuse a token without a value and a value without a token, naming both', () => {
    expect(() => pipelineScript('layout-check', { CLAIM_PATHS: 'x' })).toThrow(
      'generators/claims-repository/layout-check.sh: @CLAIM_KINDS@ has no value',
    );
    expect(() => pipelineScript('group-check', { DRY_RUN: '' })).toThrow(
      'generators/claims-repository/group-check.sh: no @DRY_RUN@ takes the value given for it',
    );
  });
});
