/**
 * scripts/pulumi-lazy.cjs, in a process of its own as the commands start (`--require` of the
 * commands' loader): Pulumi's SDK loads without the TypeScript compiler and arborist, and what
 * needs them still gets the real modules when it first uses them.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TS_REQUIRE } from '../testing/cli';

const ROOT = path.resolve(__dirname, '..');

/** Runs `code` (CommonJS) in a new node with `preload`; what it printed, as JSON. */
function run(preload: string[], code: string): Record<string, unknown> {
  const result = spawnSync(
    process.execPath,
    [...preload.flatMap((p) => ['--require', p]), '-e', code],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // One node loading Pulumi's SDK: seconds at most on a loaded machine.
      timeout: 60_000,
    },
  );
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * Loads the SDK, then serializes a function and reaches arborist from one of the SDK's files,
 * printing which of the deferred modules the process has loaded after each step.
 */
const PROBE = `
const loaded = () => ['/node_modules/typescript/', '/node_modules/@npmcli/arborist/']
  .filter((dir) => Object.keys(require.cache).some((file) => file.includes(dir)));
const pulumi = require('@pulumi/pulumi');
const out = { loaded: loaded() };
pulumi.runtime.serializeFunction(() => 6 * 7).then((s) => {
  out.value = eval(s.text + '; exports.handler()');
  out.afterSerializing = loaded();
  const fromSdk = require('node:module').createRequire(
    require.resolve('@pulumi/pulumi/runtime/closure/codePaths.js'));
  const standIn = fromSdk('@npmcli/arborist');
  out.arborist = [standIn.__esModule === true, typeof standIn.Arborist,
    standIn.Arborist === require('@npmcli/arborist').Arborist];
  console.log(JSON.stringify(out));
});
`;

describe("Pulumi's SDK loaded by the commands", () => {
  // One process each: without the loader (what the SDK does alone), and as the commands start.
  let alone: Record<string, unknown>;
  let deferred: Record<string, unknown>;
  beforeAll(() => {
    [alone, deferred] = [run([], PROBE), run([TS_REQUIRE], PROBE)];
  }, 150_000);

  it('loads without the TypeScript compiler and arborist, which it loads alone', () => {
    expect(alone.loaded).toEqual(['/node_modules/typescript/', '/node_modules/@npmcli/arborist/']);
    expect(deferred.loaded).toEqual([]);
  });

  it('still serializes a function, with the real TypeScript compiler loaded when it does', () => {
    expect(deferred.value).toBe(42);
    expect(deferred.afterSerializing).toEqual(['/node_modules/typescript/']);
  });

  it("hands the SDK's files the real arborist at its first use", () => {
    expect(deferred.arborist).toEqual([true, 'function', true]);
    expect(alone.arborist).toEqual([false, 'function', true]);
  });
});
