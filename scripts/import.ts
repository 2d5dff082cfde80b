/**
 * `npm run import [-- --from DIR]`: brings in everything the code and tests need from upstream,
 * at the versions versions.ts pins (scripts/upstream/sources.ts): the typed cdk8s classes
 * in constructs/imports/ (`cdk8s import` of the CRDs) and the structural schema snapshots in
 * upstream/ that the tests read. The upstream files come from DIR (files named as in
 * ../shared/schemas) or, without --from, from their release URLs. Nothing outside the repository
 * is read at test time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GITLAB_RESOURCE_TYPES } from '../infra/gitlab/resources';
import {
  IMPORT_DIR,
  SNAPSHOT_DIR,
  UPSTREAM_SOURCES,
  upstreamUrl,
  type UpstreamSource,
} from './upstream/sources';
import { parseHeader, renderSnapshot, sha256 } from './upstream/snapshot';

const root = path.resolve(__dirname, '..');
const USAGE = 'usage: npm run import [-- --from DIR]';

function fail(message: string): never {
  console.error(`npm run import: ${message}`);
  process.exit(1);
}

function parseArgs(argv: readonly string[]): { from?: string } {
  if (argv.length === 0) return {};
  if (argv[0] === '--from' && argv.length === 2) return { from: path.resolve(argv[1]) };
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`npm run import: unexpected arguments ${JSON.stringify(argv)}\n${USAGE}`);
  process.exit(2);
}

async function read(source: UpstreamSource, from: string | undefined): Promise<Buffer> {
  if (from !== undefined) {
    const file = path.join(from, source.fromFile);
    if (!fs.existsSync(file)) fail(`${file} not found (${source.project} ${source.path})`);
    return fs.readFileSync(file);
  }
  const url = upstreamUrl(source);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    fail(`${url}: ${cause ?? (e as Error).message} (offline? use --from DIR)`);
  }
  if (!res.ok) fail(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * A version changed while the upstream file did not: the --from folder still holds the file of
 * the previous release. (The same file under a new version is possible, but rare enough to check.)
 */
function staleSource(source: UpstreamSource, upstream: Buffer): string | undefined {
  const file = path.join(root, source.snapshot);
  if (!fs.existsSync(file)) return undefined;
  const previous = parseHeader(fs.readFileSync(file, 'utf8'));
  return previous.tag !== source.tag && previous.sha256 === sha256(upstream)
    ? `${source.fromFile} is the file of ${previous.tag}, not of ${source.tag} (${source.project}): bring the new release's file`
    : undefined;
}

async function main(): Promise<void> {
  const { from } = parseArgs(process.argv.slice(2));
  const files = new Map<UpstreamSource, Buffer>();
  for (const source of UPSTREAM_SOURCES) {
    files.set(source, await read(source, from));
  }
  const stale = [...files].flatMap(([s, b]) => staleSource(s, b) ?? []);
  if (stale.length > 0) fail(stale.join('\n'));

  const tokens = Object.values(GITLAB_RESOURCE_TYPES);
  // Only the folders of its own snapshots: upstream/ also holds what other commands generate
  // (the Backstage release manifest, `npm run backstage:release`).
  for (const dir of new Set(UPSTREAM_SOURCES.map((s) => path.dirname(s.snapshot)))) {
    fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  }
  for (const [source, upstream] of files) {
    const out = path.join(root, source.snapshot);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, renderSnapshot(source, upstream, tokens));
  }

  // cdk8s import reads files; the upstream ones (with their descriptions, for the doc comments).
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-import-'));
  try {
    const specs = [...files].flatMap(([source, upstream]) => {
      if (source.cdk8sImport === undefined) return [];
      const file = path.join(work, path.basename(source.path));
      fs.writeFileSync(file, upstream);
      return [`${source.cdk8sImport}:=${file}`];
    });
    execFileSync(
      process.execPath,
      [
        // The package's own bin (its exports map hides the path from require.resolve).
        path.join(path.dirname(require.resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s'),
        'import',
        '--check-upgrade=false',
        '--save=false',
        '--language',
        'typescript',
        '--output',
        IMPORT_DIR,
        ...specs,
      ],
      { cwd: root, stdio: 'inherit' },
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `imported ${files.size} upstream files${from !== undefined ? ` from ${from}` : ''}: ${SNAPSHOT_DIR}/, ${IMPORT_DIR}/`,
  );
}

main().catch((e: unknown) => fail((e as Error).message));
