/**
 * What the stack commands (`npm run plan`, `npm run preflight`) share: their options, the stack
 * they name, and how they end. A user's mistake (an unknown option, a stack that does not exist,
 * a stack file or configuration that cannot be used) ends the command with a message and no
 * stack trace; anything else is a bug and is shown in full. Nothing here loads Pulumi's SDK
 * (about 1.5 s of CPU), so that a wrong command line or stack file is answered at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StackFileError } from '../stacks/stack-file';
import { ConfigProblems } from '../stacks/config-parse';

const root = path.resolve(__dirname, '..');

/** A wrong command line: one line saying what is wrong, then the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Stack names as Pulumi allows them (letters, digits, `-`, `_`, `.`). */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** The stacks of this repository: its committed Pulumi.<stack>.yaml files. */
export function knownStacks(): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export interface StackOptions {
  /** `--help`: print the usage, nothing else. */
  readonly help: boolean;
  readonly stack: string;
  /** The stack file: `--stack-file`, else Pulumi.<stack>.yaml of this repository. */
  readonly stackFile: string;
}

const STACK_OPTIONS = {
  stack: { type: 'string', default: 'dev' },
  // For trying a stack file elsewhere (the tests do): defaults to Pulumi.<stack>.yaml.
  'stack-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses the command line of a stack command: `--stack`, `--stack-file`, `--help` and the
 * command's own options. Throws a UsageError for anything else.
 */
export function parseStackArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
): StackOptions & { readonly values: Record<string, string | boolean | undefined> } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: { ...STACK_OPTIONS, ...options },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    // Node's own wording, first sentence: "Unknown option '--stak'".
    throw new UsageError((e as Error).message.split(/\.\s/)[0].replace(/\.$/, ''));
  }
  if (values.help === true) {
    return { help: true, stack: '', stackFile: '', values };
  }
  const stack = String(values.stack);
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(
      `--stack ${JSON.stringify(stack)} is not a stack name (letters, digits, -, _ and .)`,
    );
  }
  const given = values['stack-file'];
  if (typeof given === 'string') {
    if (!fs.existsSync(given)) {
      throw new UsageError(`--stack-file ${given}: no such file`);
    }
    return { help: false, stack, stackFile: path.resolve(given), values };
  }
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new UsageError(
      `no stack "${stack}": there is no Pulumi.${stack}.yaml; the stacks are ${knownStacks().join(', ')}`,
    );
  }
  return { help: false, stack, stackFile, values };
}

/**
 * Runs a command's main function and ends the process: exit 0, 1 for a failure the command
 * reports (configuration, stack file, failed checks), 2 for a wrong command line.
 */
export function run(command: string, usage: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`${command}: ${e.message}\n${usage}`);
      process.exit(2);
    }
    // A ConfigError exists only once stacks/config is loaded: requiring it then costs nothing.
    const isConfigError = (): boolean =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      e instanceof (require('../stacks/config') as typeof import('../stacks/config')).ConfigError;
    if (e instanceof StackFileError || e instanceof ConfigProblems || isConfigError()) {
      console.error((e as Error).message);
    } else {
      console.error(e);
    }
    process.exit(1);
  });
}
