/**
 * `npm run bench:portal`: what `npm run build:portal` costs from scratch on this machine (wall
 * time, the peak memory of its largest process, the app bundle's size), printed and not recorded:
 * the README's figures come from `npm run bench`, which measures the same (its `build` row).
 */
import * as os from 'node:os';
import { benchBuild } from './bench/build-and-tests';

const b = benchBuild();
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
console.log(`npm run build:portal on ${os.cpus().length} cores, Node ${process.version}`);
console.log(`  wall time           ${(b.wallMs / 1000).toFixed(0)} s`);
console.log(`  peak memory         ${Math.round(b.peakKb / 1024)} MiB (largest process)`);
console.log(
  `  app bundle          ${mib(b.bundleBytes)} in dist/, ${mib(b.bundleJsBytes)} of JavaScript`,
);
