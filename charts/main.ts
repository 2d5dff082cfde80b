/**
 * The cdk8s app behind `npm run synth` / `npx cdk8s synth` (see cdk8s.yaml): every platform API
 * as one file per chart in dist/platform/, and the claims repository's generated files in
 * dist/claims-repository/. infra/ builds the same charts and files in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { claimsRepositoryFiles } from './claims-repository';
import { buildPlatformCharts } from './platform';

const app = new App();
const charts = buildPlatformCharts(app);
app.synth();

const claimsDir = path.join(app.outdir, '..', 'claims-repository');
fs.rmSync(claimsDir, { recursive: true, force: true });
for (const [file, content] of Object.entries(claimsRepositoryFiles(charts))) {
  fs.mkdirSync(path.dirname(path.join(claimsDir, file)), { recursive: true });
  fs.writeFileSync(path.join(claimsDir, file), content);
}
