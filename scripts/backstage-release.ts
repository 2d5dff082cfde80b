/**
 * `npm run backstage:release [-- --release 1.x.y]`: moves the portal to one Backstage release,
 * the npm equivalent of `backstage-cli versions:bump` (which needs Yarn and the release service
 * at versions.backstage.io; this machine reaches only the npm registry).
 *
 * The release's manifest comes from the registry itself: `@backstage/create-app` is published
 * with every release and carries the version of each package of the release it was built in
 * (`dist/lib/versions.cjs.js`, `root` being the release). Packages it does not list (the GitLab
 * modules, `-common` and `-node` libraries) get the lowest version every listed package accepts:
 * the highest lower bound of the `^` ranges the release's packages declare for them, which is the
 * version their monorepo held when those packages were published (`workspace:^`).
 *
 * Writes backstage.json, upstream/backstage-release/manifest.json, the exact versions of the
 * workspaces' @backstage dependencies and the root `overrides` (every @backstage package of the
 * lockfile at the manifest's version). Run `npm install` after it, then run it again until it
 * changes nothing (a new dependency can bring packages the manifest did not need before).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(__dirname, '..');
export const MANIFEST = 'upstream/backstage-release/manifest.json';
const WORKSPACES = [
  'package.json',
  'backstage-config/backend/package.json',
  'backstage-config/app/package.json',
];

export interface ReleaseManifest {
  readonly release: string;
  readonly source: string;
  /** Versions create-app lists for the release. */
  readonly packages: Record<string, string>;
  /** Versions derived from the ranges the release's packages declare (see above). */
  readonly derived: Record<string, string>;
  /**
   * Modules no package of the release depends on (the GitLab ones): the version the workspaces
   * name, accepted when every @backstage range it declares admits the manifest's version.
   */
  readonly modules: Record<string, string>;
}

type Lock = {
  packages: Record<
    string,
    {
      version?: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    }
  >;
};

const semverKey = (v: string): number[] => v.split(/[.-]/).slice(0, 3).map(Number);
export function compareVersions(a: string, b: string): number {
  const [x, y] = [semverKey(a), semverKey(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The package name of a lockfile key (`node_modules/a/node_modules/@b/c` is `@b/c`). */
export function lockName(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

/** Every version of every @backstage package the lockfile holds. */
export function backstageVersions(lock: Lock): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    const name = lockName(key);
    if (name?.startsWith('@backstage/') !== true || entry.version === undefined) continue;
    const set = found.get(name) ?? new Set<string>();
    set.add(entry.version);
    found.set(name, set);
  }
  return found;
}

function npm(args: string[], cwd = root): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** create-app's package versions for `release`, from the newest create-app that was built in it. */
function createAppVersions(release: string): { source: string; versions: Record<string, string> } {
  const all = (JSON.parse(npm(['view', '@backstage/create-app', 'versions', '--json'])) as string[])
    .filter((v) => !v.includes('-'))
    .sort(compareVersions)
    .reverse();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backstage-release-'));
  try {
    for (const v of all) {
      const file = npm([
        'pack',
        '--silent',
        `@backstage/create-app@${v}`,
        '--pack-destination',
        work,
      ]).trim();
      const dir = path.join(work, v);
      fs.mkdirSync(dir);
      execFileSync('tar', ['xzf', path.join(work, file), '-C', dir]);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, 'package/dist/lib/versions.cjs.js')) as {
        packageVersions: Record<string, string>;
      };
      const { root: built, ...versions } = mod.packageVersions;
      if (built === release) return { source: `@backstage/create-app@${v}`, versions };
      if (compareVersions(built, release) < 0) break;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  throw new Error(`the registry serves no @backstage/create-app built in Backstage ${release}`);
}

/**
 * Versions for the lockfile's @backstage packages that create-app does not list: the highest
 * lower bound of the ranges the manifest's packages (at their manifest versions) declare.
 */
export function deriveVersions(lock: Lock, listed: Record<string, string>): Record<string, string> {
  const known: Record<string, string> = { ...listed };
  const derived: Record<string, string> = {};
  for (let changed = true; changed;) {
    changed = false;
    for (const [key, entry] of Object.entries(lock.packages)) {
      const name = lockName(key);
      if (name === undefined || entry.version === undefined) continue;
      if (name.startsWith('@backstage/') && known[name] !== entry.version) continue;
      for (const [dep, range] of Object.entries({ ...entry.dependencies })) {
        const m = /^\^?(\d+\.\d+\.\d+)$/.exec(range);
        if (!dep.startsWith('@backstage/') || m === null || dep in listed) continue;
        if (derived[dep] === undefined || compareVersions(m[1], derived[dep]) > 0) {
          derived[dep] = m[1];
          known[dep] = m[1];
          changed = true;
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(derived).sort(([a], [b]) => a.localeCompare(b)));
}

/** The workspaces' @backstage dependencies the manifest does not name, at their declared version. */
function modules(known: Record<string, string>): Record<string, string> {
  const found: Record<string, string> = {};
  const problems: string[] = [];
  for (const ws of WORKSPACES.filter((w) => fs.existsSync(path.join(root, w)))) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, ws), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (!name.startsWith('@backstage/') || name in known) continue;
      const deps = JSON.parse(
        npm(['view', `${name}@${version}`, 'dependencies', '--json']) || '{}',
      ) as Record<string, string>;
      for (const [dep, range] of Object.entries(deps)) {
        const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
        const want = known[dep];
        if (m === null || want === undefined) continue;
        const [a, b] = [semverKey(m[1]), semverKey(want)];
        // ^x.y.z admits the manifest's version: same major (same minor below 1.0), not lower.
        const sameLine = a[0] === b[0] && (a[0] > 0 || a[1] === b[1]);
        if (!sameLine || compareVersions(want, m[1]) < 0) {
          problems.push(`${ws}: ${name}@${version} needs ${dep}@${range}, the release has ${want}`);
        }
      }
      found[name] = version;
    }
  }
  if (problems.length > 0) {
    throw new Error(`incompatible with the release:\n  ${problems.join('\n  ')}`);
  }
  return found;
}

function main(): void {
  const { values } = parseArgs({ options: { release: { type: 'string' } }, strict: true });
  const current = JSON.parse(fs.readFileSync(path.join(root, 'backstage.json'), 'utf8')) as {
    version: string;
  };
  const release = values.release ?? current.version;
  const { source, versions: listed } = createAppVersions(release);
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lock;
  const derived = deriveVersions(lock, listed);
  const mods = modules({ ...listed, ...derived });
  const manifest: ReleaseManifest = { release, source, packages: listed, derived, modules: mods };
  const all = { ...listed, ...derived, ...mods };
  fs.mkdirSync(path.dirname(path.join(root, MANIFEST)), { recursive: true });
  fs.writeFileSync(path.join(root, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(
    path.join(root, 'backstage.json'),
    `${JSON.stringify({ version: release }, null, 2)}\n`,
  );

  const missing: string[] = [];
  for (const ws of WORKSPACES) {
    const file = path.join(root, ws);
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(pkg[field] ?? {})) {
        if (!name.startsWith('@backstage/')) continue;
        if (all[name] === undefined) missing.push(`${ws}: ${name}`);
        else pkg[field]![name] = all[name];
      }
    }
    if (ws === 'package.json') {
      const overrides = Object.fromEntries(
        [
          ...backstageVersions(lock).keys(),
          ...Object.keys(pkg.overrides ?? {}).filter((n) => n.startsWith('@backstage/')),
        ]
          .filter((n) => all[n] !== undefined)
          .sort()
          .map((n) => [n, all[n]]),
      );
      const others = Object.fromEntries(
        Object.entries(pkg.overrides ?? {}).filter(([n]) => !n.startsWith('@backstage/')),
      );
      pkg.overrides = { ...others, ...overrides };
    }
    fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }
  for (const name of backstageVersions(lock).keys()) {
    if (all[name] === undefined) missing.push(`package-lock.json: ${name}`);
  }
  // npm keeps a locked package that an override newly excludes (it reports it invalid), and does
  // not re-resolve the dependencies of a locked package whose entries are dropped one by one: when
  // any @backstage package is at another version than the manifest's, drop them all (lockfile
  // and installed copies) and `npm install` resolves them again, overrides applied.
  const stale = Object.entries(lock.packages).some(([key, entry]) => {
    const name = lockName(key);
    return name !== undefined && all[name] !== undefined && entry.version !== all[name];
  });
  if (stale) {
    for (const key of Object.keys(lock.packages)) {
      if (lockName(key)?.startsWith('@backstage/') === true) {
        delete lock.packages[key];
        fs.rmSync(path.join(root, key), { recursive: true, force: true });
      }
    }
    fs.rmSync(path.join(root, 'node_modules', '.package-lock.json'), { force: true });
  }
  fs.writeFileSync(path.join(root, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  if (missing.length > 0) {
    console.error(`not in the manifest of Backstage ${release}:\n  ${missing.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `Backstage ${release} (${source}): ${Object.keys(all).length} packages; now run npm install`,
  );
}

if (require.main === module) main();
