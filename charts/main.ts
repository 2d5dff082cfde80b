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

// The cdk8s CLI passes dist/platform (cdk8s.yaml) as CDK8S_OUTDIR; run directly, the same.
const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? path.join('dist', 'platform') });
const charts = buildPlatformCharts(app);
app.synth();

const dist = path.join(app.outdir, '..');
/** Replaces the folder `dir` of dist/ with `files` (paths relative to dist/). */
function writeDist(dirs: readonly string[], files: Readonly<Record<string, string>>): void {
  for (const dir of dirs) {
    fs.rmSync(path.join(dist, dir), { recursive: true, force: true });
  }
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
    fs.writeFileSync(path.join(dist, file), content);
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
