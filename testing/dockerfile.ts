/**
 * The runtime stage of a Dockerfile, replayed in a folder without Docker: its COPY instructions
 * copy the same files (from the build context, or for `--from=<stage>` from the checkout, where
 * `npm run build:portal` has made what that stage builds), its `RUN npm ...` commands run with
 * the ENV the stage has set at that point, and WORKDIR and CMD say where and how to start it.
 * RUN commands that install operating-system packages (apt-get, pip) cannot run here: they are
 * returned, so a test can check that nothing else was left out.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The instructions of a Dockerfile: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stages: `FROM ... AS name` starts one (the last one is the image). */
export function stages(
  instructions: readonly Instruction[],
): { name?: string; body: Instruction[] }[] {
  const out: { name?: string; body: Instruction[] }[] = [];
  for (const i of instructions) {
    if (i.op === 'FROM') {
      const m = /\s+AS\s+(\S+)$/i.exec(i.args);
      out.push({ ...(m !== null ? { name: m[1] } : {}), body: [] });
    } else {
      out[out.length - 1].body.push(i);
    }
  }
  return out;
}

export interface Replayed {
  /** The image's working directory, mapped into the folder. */
  readonly workdir: string;
  readonly cmd: string[];
  readonly env: Record<string, string>;
  /** RUN commands not run (operating-system packages). */
  readonly skipped: string[];
}

/**
 * Replays the last stage of `dockerfile` into `root` (absolute image paths become paths under
 * it), with `context` as the build context and the checkout.
 */
export function replayRuntimeStage(o: {
  dockerfile: string;
  context: string;
  root: string;
  timeoutMs: number;
}): Replayed {
  const all = stages(parseDockerfile(fs.readFileSync(o.dockerfile, 'utf8')));
  const workdirOf = (name: string): string => {
    const stage = all.find((s) => s.name === name);
    const dirs = stage?.body.filter((i) => i.op === 'WORKDIR').map((i) => i.args) ?? [];
    if (dirs.length === 0) throw new Error(`stage ${name}: no WORKDIR`);
    return dirs[dirs.length - 1];
  };
  let cwd = '/';
  const env: Record<string, string> = {};
  const skipped: string[] = [];
  let cmd: string[] = [];
  const inRoot = (p: string): string => path.join(o.root, path.posix.resolve(cwd, p));
  for (const { op, args } of all[all.length - 1].body) {
    if (op === 'WORKDIR') {
      cwd = path.posix.resolve(cwd, args);
      fs.mkdirSync(inRoot('.'), { recursive: true });
    } else if (op === 'ENV') {
      for (const m of args.matchAll(/(\w+)=(\S+)/g)) {
        env[m[1]] = m[2].replace(/\$(\w+)/g, (_, n: string) => env[n] ?? process.env[n] ?? '');
      }
    } else if (op === 'COPY') {
      const words = args.split(/\s+/);
      const from = words[0].startsWith('--from=')
        ? words.shift()!.slice('--from='.length)
        : undefined;
      const dest = words.pop()!;
      for (const src of words) {
        // An image path of the build stage is the same path of the checkout, from its WORKDIR.
        const source =
          from === undefined
            ? path.join(o.context, src)
            : path.join(o.context, path.posix.relative(workdirOf(from), src));
        if (!fs.existsSync(source)) throw new Error(`COPY ${src}: ${source} does not exist`);
        const target = dest.endsWith('/')
          ? path.join(inRoot(dest), fs.statSync(source).isDirectory() ? '' : path.basename(src))
          : inRoot(dest);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(source, target, { recursive: true });
      }
    } else if (op === 'RUN') {
      if (/^npm\s/.test(args)) {
        // Emptying npm's cache only makes the image smaller; here it would empty the machine's.
        execSync(args.replace(/\s*&&\s*npm cache clean --force\s*$/, ''), {
          cwd: inRoot('.'),
          env: { ...process.env, ...env },
          stdio: 'pipe',
          timeout: o.timeoutMs,
        });
      } else {
        skipped.push(args);
      }
    } else if (op === 'CMD') {
      cmd = JSON.parse(args) as string[];
    }
  }
  return { workdir: inRoot('.'), cmd, env, skipped };
}
