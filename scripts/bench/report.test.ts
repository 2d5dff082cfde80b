/**
 * The benchmark's report: its ratios and per-group costs from the samples, and the README's
 * performance section, which must be exactly the report of the recorded result.
 */
import { describe, expect, it } from 'vitest';
import {
  median,
  renderReport,
  REPORT_END,
  REPORT_START,
  withReport,
  type BenchResult,
} from './report';
import { readmeFromRecorded } from './readme';

const RESULT: BenchResult = {
  machine: { cpus: 2, node: '20.20.2', loadAverage: 3.04 },
  runs: 3,
  synth: {
    npmRun: { wallMs: [900, 800, 1000] },
    app: { wallMs: [600, 500, 700] },
    floor: { wallMs: [400, 400, 500] },
    npmStart: { wallMs: [300, 200, 250] },
    files: 24,
  },
  plan: {
    floor: { wallMs: [1000, 1000, 1000] },
    groups: [
      { count: 0, samples: { wallMs: [2000, 2100, 2200], cpuMs: [2500, 2400, 2600] } },
      { count: 100, samples: { wallMs: [2400, 2600, 2400], cpuMs: [3000, 3000, 3000] } },
      { count: 1000, samples: { wallMs: [5100, 5000, 4900], cpuMs: [6500, 6500, 6500] } },
    ],
  },
  portal: {
    floor: { wallMs: [4000, 4000, 4000] },
    cold: { wallMs: [12_000, 13_000, 14_000] },
    warm: { wallMs: [6000, 5000, 7000] },
  },
  catalog: [{ entities: 1000, ms: 40_000 }],
  build: { wallMs: 95_400, peakKb: 1_572_864, bundleBytes: 13_107_200, bundleJsBytes: 9_961_472 },
  checks: { typecheckMs: 18_300, lintMs: 41_000 },
  tests: { wallMs: 71_200, files: 52, tests: 1234 },
};

describe("the benchmark's report", () => {
  it('takes medians, of an even number of samples too', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no values');
  });

  it('puts each path beside its floor, as ratios and costs per group or entity', () => {
    const rows = renderReport(RESULT)
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| path') && !l.startsWith('| -'))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows).toEqual([
      ['`npm run synth`', '900 ms', "650 ms: npm's start + the floor", '1.38x'],
      [
        'synth app (its command without npm)',
        '600 ms',
        '400 ms: load the libraries, write the same 24 files',
        '1.50x',
      ],
      ['plan, dev stack', '2100 ms', '1000 ms: load the SDKs and libraries', '2.10x'],
      [
        'plan, 100 more customer groups',
        '2400 ms',
        '',
        // Paired with the same round's plan without groups: (2400-2000, 2600-2100, 2400-2200) / 100.
        '4.00 ms per group, 5.00 ms CPU (all threads)',
      ],
      [
        'plan, 1,000 more customer groups',
        '5000 ms',
        '',
        '2.90 ms per group, 4.00 ms CPU (all threads)',
      ],
      ['portal, cold start to ready', '13.0 s', "4000 ms: load the backend's plugins", '3.25x'],
      ['portal, warm start to ready', '6000 ms', '', '1.50x'],
      ['catalog ingestion, 1,000 entities', '40.0 s', '', '25 entities/s'],
      [
        '`npm run build:portal`, from scratch',
        '95.4 s',
        '',
        'peak 1536 MiB (largest process); app bundle 12.5 MiB, 9.5 MiB of it JavaScript',
      ],
      [
        "`npm test`'s checks before the tests, warm",
        '59.3 s',
        '',
        'type-check 18.3 s; ESLint (type-aware), Prettier, shellcheck 41.0 s',
      ],
      [
        'unit tests, without the files that boot the portal or a control plane (one run)',
        '71.2 s',
        '',
        '52 files, 1,234 tests',
      ],
    ]);
    expect(renderReport(RESULT)).toMatch(
      /^Measured by `npm run bench` on 2 cores .* median of 3 runs/,
    );
  });

  it('replaces only what is between its markers', () => {
    const readme = `# Title\n\n${REPORT_START}\nold figures\n${REPORT_END}\n\nafter\n`;
    expect(withReport(readme, 'new')).toBe(
      `# Title\n\n${REPORT_START}\n\nnew\n\n${REPORT_END}\n\nafter\n`,
    );
    expect(() => withReport('# Title\n', 'new')).toThrow(/README.md has no/);
  });

  it("is the README's performance section, from the result `npm run bench` recorded", () => {
    const { readme, written } = readmeFromRecorded();
    expect(readme, 'README.md: run `npm run bench:readme`').toBe(written);
  });
});
