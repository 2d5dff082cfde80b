/**
 * What `npm run bench` measured (BenchResult, recorded in scripts/bench/recorded.json) and the
 * report it prints, which is also the README's performance section (`npm run bench:readme`
 * writes it from the recorded result; a test holds the README to it). Pure: no measuring here.
 */

/** Wall times of repeated runs of one command, in milliseconds. */
export interface Samples {
  readonly wallMs: readonly number[];
  /** CPU time (user + system) of the measured process itself, where it was recorded. */
  readonly cpuMs?: readonly number[];
}

export interface BenchResult {
  /** What it ran on: the figures mean something only beside each other. */
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage: number };
  readonly runs: number;
  readonly synth?: {
    /** `npm run synth`. */
    readonly npmRun: Samples;
    /** Its command without npm: `node --require ./scripts/ts-require.cjs charts/main.ts`. */
    readonly app: Samples;
    /** A node process that loads cdk8s, constructs, cdk8s-plus-29 and yaml and writes the same files. */
    readonly floor: Samples;
    /** npm's own start: `npm run env` (npm, a shell, a tiny command). */
    readonly npmStart: Samples;
    readonly files: number;
  };
  readonly plan?: {
    /** A node process that loads the SDKs and libraries the plan loads, and nothing else. */
    readonly floor: Samples;
    /** The plan of the dev stack with this many more customer groups (one member each). */
    readonly groups: readonly { readonly count: number; readonly samples: Samples }[];
  };
  readonly portal?: {
    /** A node process that loads the backend's plugins and modules, and nothing else. */
    readonly floor: Samples;
    /** First start: a new database folder (initdb, migrations). */
    readonly cold: Samples;
    /** Later starts on the same folder. */
    readonly warm: Samples;
  };
  /** `npm run build:portal` from scratch. */
  readonly build?: {
    readonly wallMs: number;
    /** The largest process's maximum resident set size (GNU time). */
    readonly peakKb: number;
    /** The app bundle (backstage-config/app/dist): everything, and its JavaScript. */
    readonly bundleBytes: number;
    readonly bundleJsBytes: number;
  };
  /** `npm test`'s checks before Vitest, warm: `npm run typecheck` and `npm run lint`. */
  readonly checks?: { readonly typecheckMs: number; readonly lintMs: number };
  /** Vitest's unit projects (not the files that boot the portal or a control plane), one run. */
  readonly tests?: { readonly wallMs: number; readonly files: number; readonly tests: number };
  readonly catalog?: readonly {
    readonly entities: number;
    /** From the backend's readiness to the last entity in the catalog API. */
    readonly ms: number;
  }[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (v: number): string =>
  v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const thousands = (n: number): string => n.toLocaleString('en-US');
const wall = (s: Samples): number => median(s.wallMs);

/** A Markdown table as Prettier lays it out (columns padded to their widest cell). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)];
}

/**
 * Per-group cost of the plan: in each round, the time above the plan without extra groups run
 * just before it, per group; the median of those. Pairing the runs of a round cancels load that
 * changes from round to round, which a difference of two medians would not.
 */
export function perGroup(
  groups: NonNullable<BenchResult['plan']>['groups'],
  of: 'wallMs' | 'cpuMs',
): { count: number; ms: number | undefined }[] {
  const base = groups.find((g) => g.count === 0)?.samples[of];
  return groups
    .filter((g) => g.count > 0)
    .map((g) => {
      const at = g.samples[of];
      if (base === undefined || at === undefined || at.length === 0 || at.length !== base.length) {
        return { count: g.count, ms: undefined };
      }
      return { count: g.count, ms: median(at.map((t, i) => (t - base[i]) / g.count)) };
    });
}

/** The report: Markdown, the same text printed by `npm run bench` and kept in the README. */
export function renderReport(r: BenchResult): string {
  const rows: string[][] = [];
  if (r.synth !== undefined) {
    const s = r.synth;
    const floorWithNpm = wall(s.floor) + wall(s.npmStart);
    rows.push(
      [
        '`npm run synth`',
        ms(wall(s.npmRun)),
        `${ms(floorWithNpm)}: npm's start + the floor`,
        ratio(wall(s.npmRun), floorWithNpm),
      ],
      [
        'synth app (its command without npm)',
        ms(wall(s.app)),
        `${ms(wall(s.floor))}: load the libraries, write the same ${s.files} files`,
        ratio(wall(s.app), wall(s.floor)),
      ],
    );
  }
  if (r.plan !== undefined) {
    const p = r.plan;
    const zero = p.groups.find((g) => g.count === 0);
    if (zero !== undefined) {
      rows.push([
        'plan, dev stack',
        ms(wall(zero.samples)),
        `${ms(wall(p.floor))}: load the SDKs and libraries`,
        ratio(wall(zero.samples), wall(p.floor)),
      ]);
    }
    const wallPer = perGroup(p.groups, 'wallMs');
    const cpuPer = perGroup(p.groups, 'cpuMs');
    p.groups
      .filter((g) => g.count > 0)
      .forEach((g, i) => {
        const cpuMs = cpuPer[i].ms;
        // CPU of every thread of the process (V8 collects garbage and compiles beside the program).
        const cpuText = cpuMs !== undefined ? `, ${cpuMs.toFixed(2)} ms CPU (all threads)` : '';
        rows.push([
          `plan, ${thousands(g.count)} more customer groups`,
          ms(wall(g.samples)),
          '',
          `${wallPer[i].ms!.toFixed(2)} ms per group${cpuText}`,
        ]);
      });
  }
  if (r.portal !== undefined) {
    const p = r.portal;
    rows.push(
      [
        'portal, cold start to ready',
        ms(wall(p.cold)),
        `${ms(wall(p.floor))}: load the backend's plugins`,
        ratio(wall(p.cold), wall(p.floor)),
      ],
      ['portal, warm start to ready', ms(wall(p.warm)), '', ratio(wall(p.warm), wall(p.floor))],
    );
  }
  for (const c of r.catalog ?? []) {
    rows.push([
      `catalog ingestion, ${thousands(c.entities)} entities`,
      ms(c.ms),
      '',
      `${Math.round((c.entities * 1000) / c.ms)} entities/s`,
    ]);
  }
  if (r.build !== undefined) {
    const b = r.build;
    const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    rows.push([
      '`npm run build:portal`, from scratch',
      ms(b.wallMs),
      '',
      `peak ${Math.round(b.peakKb / 1024)} MiB (largest process); app bundle ${mib(b.bundleBytes)}, ${mib(b.bundleJsBytes)} of it JavaScript`,
    ]);
  }
  if (r.checks !== undefined) {
    const c = r.checks;
    rows.push([
      "`npm test`'s checks before the tests, warm",
      ms(c.typecheckMs + c.lintMs),
      '',
      `type-check ${ms(c.typecheckMs)}; ESLint (type-aware), Prettier, shellcheck ${ms(c.lintMs)}`,
    ]);
  }
  if (r.tests !== undefined) {
    rows.push([
      'unit tests, without the files that boot the portal or a control plane (one run)',
      ms(r.tests.wallMs),
      '',
      `${r.tests.files} files, ${thousands(r.tests.tests)} tests`,
    ]);
  }
  return [
    `Measured by \`npm run bench\` on ${r.machine.cpus} cores (Node.js ${r.machine.node}, load average ${r.machine.loadAverage.toFixed(1)} at its start), median of ${r.runs} runs each, the commands of a row and its floor run in turns so that other load hits them alike:`,
    '',
    ...table(['path', 'time', 'its floor', 'ratio'], rows),
  ].join('\n');
}

export const REPORT_START = '<!-- npm run bench:readme writes from here -->';
export const REPORT_END = '<!-- to here, from scripts/bench/recorded.json -->';

/** `readme` with the text between the report's markers replaced by `report`. */
export function withReport(readme: string, report: string): string {
  const start = readme.indexOf(REPORT_START);
  const end = readme.indexOf(REPORT_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no "${REPORT_START}" ... "${REPORT_END}" section`);
  }
  return `${readme.slice(0, start + REPORT_START.length)}\n\n${report}\n\n${readme.slice(end)}`;
}
