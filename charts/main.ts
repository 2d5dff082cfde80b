/**
 * The cdk8s app behind `npm run synth` / `npx cdk8s synth` (see cdk8s.yaml): every platform API
 * as one file per chart in dist/platform/, and the files of generators/ that are not Kubernetes
 * objects: the claims repository's in dist/claims-repository/, the portal's templates and catalog
 * in dist/templates/ and dist/catalog/. The Pulumi program (stacks/index.ts) builds the same
 * charts and files in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { claimsRepositoryFiles } from '../generators/claims-repository/claims-repository';
import { buildPlatformCharts } from './platform';
import { PortalChart, portalFiles, PORTAL_DIRS } from '../generators/portal/portal';

const ROOT = path.resolve(__dirname, '..');
/**
 * Where the generators' files go (claims-repository/, templates/, catalog/): the repository's
 * dist/, or PLATFORM_DIST. Never derived from CDK8S_OUTDIR: an output folder chosen for the
 * charts (`cdk8s synth -o DIR`) must not make us replace folders beside it.
 */
const dist = path.resolve(process.env.PLATFORM_DIST ?? path.join(ROOT, 'dist'));
// The cdk8s CLI passes dist/platform (cdk8s.yaml) as CDK8S_OUTDIR; run directly, the same.
const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? path.join(dist, 'platform') });
const charts = buildPlatformCharts(app);
app.synth();

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

/**
 * Makes the folders `dirs` of dist/ hold exactly `files` (paths relative to dist/): a file whose
 * content is unchanged is not rewritten and none is removed first, so that a reader of dist/ (a
 * test, an editor) never sees a regenerated file missing.
 */
function writeDist(dirs: readonly string[], files: Readonly<Record<string, string>>): void {
  for (const dir of dirs) {
    for (const file of filesUnder(path.join(dist, dir))) {
      if (!(path.join(dir, file) in files)) fs.rmSync(path.join(dist, dir, file));
    }
  }
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dist, file);
    if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === content) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

writeDist(
  ['claims-repository'],
  Object.fromEntries(
    Object.entries(claimsRepositoryFiles(charts)).map(([f, c]) => [`claims-repository/${f}`, c]),
  ),
);
// The portal's entities are not Kubernetes objects: their chart lives in an app of its own,
// written as Backstage reads them rather than by cdk8s synth.
writeDist(PORTAL_DIRS, portalFiles(new PortalChart(new App(), 'portal', charts)));
