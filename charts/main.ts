/**
 * The cdk8s app behind `npm run synth` / `npx cdk8s synth` (see cdk8s.yaml): every platform API
 * as one file per chart in dist/platform/. infra/ builds the same charts in-process.
 */
import { App } from 'cdk8s';
import { buildPlatformCharts } from './platform';

const app = new App();
buildPlatformCharts(app);
app.synth();
