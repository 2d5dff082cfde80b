/**
 * One Backstage release for the backend and the app: backstage.json names it, the committed
 * manifest (upstream/backstage-release/manifest.json, made by `npm run backstage:release` from
 * the release's own packages) gives each package's version, and the lockfile holds exactly that
 * version of every @backstage package, once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backstageVersions, MANIFEST, type ReleaseManifest } from '../scripts/backstage-release';

const ROOT = path.resolve(__dirname, '..');
const read = <T>(file: string): T =>
  JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;

const manifest = read<ReleaseManifest>(MANIFEST);
const versionOf = (name: string): string | undefined =>
  manifest.packages[name] ?? manifest.derived[name] ?? manifest.modules[name];

/** What is wrong with a lockfile's @backstage packages: one line per package. */
export function releaseProblems(lock: Parameters<typeof backstageVersions>[0]): string[] {
  const problems: string[] = [];
  for (const [name, found] of backstageVersions(lock)) {
    const want = versionOf(name);
    if (want === undefined) {
      problems.push(`${name}: not in the manifest of Backstage ${manifest.release}`);
    } else if (found.size > 1 || !found.has(want)) {
      problems.push(
        `${name}: ${[...found].sort().join(', ')} in package-lock.json, the release has ${want}`,
      );
    }
  }
  return problems;
}

describe('one Backstage release', () => {
  it('backstage.json names the release the manifest is of, in the Backstage convention', () => {
    expect(read<{ version: string }>('backstage.json')).toEqual({ version: manifest.release });
    expect(manifest.release).toMatch(/^1\.\d+\.\d+$/);
  });

  it('every @backstage package of the lockfile is at its manifest version, once', () => {
    const lock = read<Parameters<typeof backstageVersions>[0]>('package-lock.json');
    expect(backstageVersions(lock).size).toBeGreaterThan(50);
    expect(releaseProblems(lock)).toEqual([]);
  });

  it('a second version of a package, or one the release does not have, is reported', () => {
    const at = (v: string) => ({ version: v });
    const lock = {
      packages: {
        'node_modules/@backstage/config': at(manifest.packages['@backstage/config']),
        'node_modules/@backstage/cli/node_modules/@backstage/config': at('0.0.1'),
        'node_modules/@backstage/not-released': at('1.0.0'),
      },
    };
    expect(releaseProblems(lock)).toEqual([
      `@backstage/config: 0.0.1, ${manifest.packages['@backstage/config']} in package-lock.json, the release has ${manifest.packages['@backstage/config']}`,
      `@backstage/not-released: not in the manifest of Backstage ${manifest.release}`,
    ]);
  });

  it('the workspaces name the manifest versions exactly, and the root overrides enforce them', () => {
    const root = read<{ overrides: Record<string, unknown> }>('package.json');
    for (const ws of ['backstage-config/backend', 'backstage-config/app']) {
      const pkg = read<Record<string, Record<string, string> | undefined>>(`${ws}/package.json`);
      for (const [name, version] of Object.entries({
        ...pkg.dependencies,
        ...pkg.devDependencies,
      })) {
        if (!name.startsWith('@backstage/')) continue;
        expect({ ws, name, version }).toEqual({ ws, name, version: versionOf(name) });
        expect({ name, override: root.overrides[name] }).toEqual({ name, override: version });
      }
    }
  });
});
