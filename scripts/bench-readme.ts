/**
 * `npm run bench:readme`: writes the README's performance figures from what `npm run bench`
 * last recorded (scripts/bench/recorded.json), so that no figure there is typed by hand.
 */
import * as fs from 'node:fs';
import { README, readmeFromRecorded } from './bench/readme';

fs.writeFileSync(README, readmeFromRecorded().written);
console.log('README.md: performance section written from scripts/bench/recorded.json');
