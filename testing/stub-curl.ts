/**
 * Runs a claims pipeline script that calls GitLab's API with `curl` for real, with `sh` and `jq`,
 * in a temporary checkout, with a stand-in `curl` first on PATH: there is no GitLab server here
 * (and none may be faked), so the stand-in records each call and answers from a table. It
 * understands only what the scripts use: `-X`, `-H`, `--data-urlencode`, `-o`, `-w '%{http_code}'`,
 * `--fail-with-body` (exit 22 and the body on an HTTP error, as curl does), `-sS`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFiles } from './scaffolder';

/** An answer of the stand-in: for `<METHOD> <URL>`, an HTTP status and a body. */
export type Answers = Readonly<Record<string, readonly [number, string]>>;

/** One call the script made, as curl would send it. */
export interface Request {
  readonly method: string;
  readonly url: string;
  readonly headers: readonly string[];
  /** `--data-urlencode name=value` fields, unencoded. */
  readonly form: Readonly<Record<string, string>>;
}

export interface StubRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly requests: readonly Request[];
}

const STUB = `#!/bin/sh
n=$(ls "$STUB_CALLS" | wc -l)
: > "$STUB_CALLS/$n"
for a in "$@"; do printf '%s\\0' "$a" >> "$STUB_CALLS/$n"; done
method=GET; url=; write=; out=; fail=
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift ;;
    -w) write=$2; shift ;;
    -o) out=$2; shift ;;
    -H) shift ;;
    --data-urlencode) [ "$method" = GET ] && method=POST; shift ;;
    --fail-with-body) fail=body ;;
    --fail|-f*|-[!-]*f*) fail=silent ;;
    http*) url=$1 ;;
  esac
  shift
done
answer=$(grep -F -x -A2 "$method $url" "$STUB_ANSWERS" | tail -n +2)
status=$(printf '%s\\n' "$answer" | sed -n 1p)
body=$(printf '%s\\n' "$answer" | sed -n 2p)
[ -n "$status" ] || { echo "curl stand-in: no answer for $method $url" >&2; exit 99; }
if [ "$status" -ge 400 ] && [ "$fail" = silent ]; then
  echo "curl: (22) The requested URL returned error: $status" >&2; exit 22
fi
if [ -n "$out" ]; then printf '%s' "$body" > "$out"; else printf '%s' "$body"; fi
[ "$write" = '%{http_code}' ] && printf '%s' "$status"
if [ "$status" -ge 400 ] && [ "$fail" = body ]; then
  echo "curl: (22) The requested URL returned error: $status" >&2; exit 22
fi
exit 0
`;

/** Reads a recorded call's arguments as the request curl would make. */
function request(args: readonly string[]): Request {
  let method = 'GET';
  let url = '';
  const headers: string[] = [];
  const form: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-X') {
      method = args[++i];
    } else if (a === '-H') {
      headers.push(args[++i]);
    } else if (a === '--data-urlencode') {
      const field = args[++i];
      const eq = field.indexOf('=');
      form[field.slice(0, eq)] = field.slice(eq + 1);
      method = method === 'GET' ? 'POST' : method;
    } else if (a === '-o' || a === '-w') {
      i += 1;
    } else if (a.startsWith('http')) {
      url = a;
    }
  }
  return { method, url, headers, form };
}

export function runWithStubCurl(
  script: string,
  files: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string>>,
  answers: Answers,
): StubRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-stub-curl-'));
  try {
    const checkout = path.join(dir, 'checkout');
    const bin = path.join(dir, 'bin');
    const calls = path.join(dir, 'calls');
    fs.mkdirSync(checkout);
    fs.mkdirSync(calls);
    writeFiles(checkout, files);
    writeFiles(bin, { curl: STUB });
    fs.chmodSync(path.join(bin, 'curl'), 0o755);
    const table = Object.entries(answers)
      .map(([call, [status, body]]) => `${call}\n${status}\n${body}`)
      .join('\n');
    fs.writeFileSync(path.join(dir, 'answers'), `${table}\n`);
    const { CUSTOMER_GROUPS_TOKEN: _unset, ...inherited } = process.env;
    const run = spawnSync('sh', ['-c', script], {
      cwd: checkout,
      env: {
        ...inherited,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        STUB_CALLS: calls,
        STUB_ANSWERS: path.join(dir, 'answers'),
        ...env,
      },
      timeout: 30_000,
    });
    const requests = fs
      .readdirSync(calls)
      .sort((a, b) => Number(a) - Number(b))
      .map((f) => request(fs.readFileSync(path.join(calls, f), 'utf8').split('\0').slice(0, -1)));
    return {
      status: run.status ?? -1,
      stdout: run.stdout.toString(),
      stderr: run.stderr.toString(),
      requests,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
