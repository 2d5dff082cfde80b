import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TS_REQUIRE } from './cli';
import { layerProblems, ROOT, sourceFiles, unitOf, type LayerRule } from './layers';
import { plain, readmeTable } from './readme';

const PULUMI = /^@pulumi\//;

/** The README's layer table as rules: which units each may import, and whether Pulumi. */
function readmeRules(): Record<string, LayerRule> {
  const table = readmeTable('## Data flow through the code', 'folder');
  return Object.fromEntries(
    table.rows.map((row) => {
      const mayImport = plain(row['may import'])
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '' && u !== 'nothing else');
      const pulumi = plain(row['Pulumi SDK']);
      if (pulumi !== 'yes' && pulumi !== 'no') {
        throw new Error(
          `README layer table: "Pulumi SDK" of ${row.folder} is ${pulumi}, not yes/no`,
        );
      }
      return [
        plain(row.folder),
        { mayImport, ...(pulumi === 'no' ? { forbiddenPackages: [PULUMI] } : {}) },
      ];
    }),
  );
}

const allFiles = (): Record<string, string> =>
  Object.fromEntries(
    sourceFiles().map((f) => [f, fs.readFileSync(path.join(ROOT, f), 'utf8')] as const),
  );

describe('the layers (imports run one way)', () => {
  it("every import of the code runs the way the README's layer table says", () => {
    const rules = readmeRules();
    const files = allFiles();
    // Every unit the table names exists, and every folder of code is in the table or free.
    for (const unit of Object.keys(rules)) {
      expect(fs.existsSync(path.join(ROOT, unit)), unit).toBe(true);
    }
    const units = new Set(Object.keys(files).map(unitOf));
    const free = ['testing/', 'scripts/'];
    const rootConfig = ['vitest.config.ts'];
    expect(
      [...units].filter((u) => !(u in rules) && !free.includes(u) && !rootConfig.includes(u)),
    ).toEqual([]);
    expect(layerProblems(files, rules)).toEqual([]);
  });

  it('keeps the directions the layering exists for', () => {
    const rules = readmeRules();
    const forbidden: [string, string][] = [
      ['constructs/', 'infra/'],
      ['constructs/', 'stacks/'],
      ['constructs/', 'charts/'],
      ['charts/', 'infra/'],
      ['charts/', 'stacks/'],
      ['infra/', 'stacks/'],
      ['generators/', 'charts/'],
      ['generators/', 'infra/'],
      ['generators/', 'stacks/'],
    ];
    for (const [from, to] of forbidden) {
      expect(rules[from].mayImport, `${from} -> ${to}`).not.toContain(to);
    }
    // Nothing of the layers imports the test harnesses or the CLIs.
    for (const [unit, rule] of Object.entries(rules)) {
      expect(rule.mayImport, unit).not.toContain('testing/');
      expect(rule.mayImport, unit).not.toContain('scripts/');
    }
    // The cdk8s side builds without the Pulumi SDK.
    for (const unit of ['constructs/', 'generators/', 'charts/', 'versions.ts']) {
      expect(rules[unit].forbiddenPackages, unit).toEqual([PULUMI]);
    }
  });

  it('reports an import the wrong way in every form TypeScript has', () => {
    const rules = readmeRules();
    expect(
      layerProblems(
        {
          'constructs/a.ts': "import { versions } from '../infra/versions';",
          'constructs/b.ts': "export { x } from '../stacks/config';",
          'constructs/c.ts': "import type { PlatformCharts } from '../charts/platform';",
          'constructs/d.ts': "const m = require('../testing/schemas');",
          'charts/e.ts': "void import('../infra/backstage');",
          'infra/f.ts': "import { loadConfig } from '../stacks/config';",
          'charts/g.ts': "import * as pulumi from '@pulumi/pulumi';",
          // Allowed: the same unit, a unit below, a package, tests and harnesses.
          'infra/h.ts': "import { rulesFor } from '../constructs/rbac';\nimport './h2';",
          'constructs/i.test.ts': "import { x } from '../stacks/config';",
          'testing/j.ts': "import { x } from '../stacks/config';",
        },
        rules,
      ),
    ).toEqual([
      `constructs/a.ts imports infra/versions: constructs/ may import ${rules['constructs/'].mayImport.join(', ')}, not infra/`,
      `constructs/b.ts imports stacks/config: constructs/ may import ${rules['constructs/'].mayImport.join(', ')}, not stacks/`,
      `constructs/c.ts imports charts/platform: constructs/ may import ${rules['constructs/'].mayImport.join(', ')}, not charts/`,
      `constructs/d.ts imports testing/schemas: constructs/ may import ${rules['constructs/'].mayImport.join(', ')}, not testing/`,
      `charts/e.ts imports infra/backstage: charts/ may import ${rules['charts/'].mayImport.join(', ')}, not infra/`,
      `infra/f.ts imports stacks/config: infra/ may import ${rules['infra/'].mayImport.join(', ')}, not stacks/`,
      'charts/g.ts imports @pulumi/pulumi: charts/ may not depend on @pulumi/pulumi',
    ]);
  });

  it('computes what the components declare without loading the Pulumi SDK', () => {
    /** The @pulumi packages a fresh process has loaded after requiring `modules`. */
    const pulumiLoadedBy = (modules: readonly string[]): string[] => {
      const run = spawnSync(
        process.execPath,
        [
          '--require',
          TS_REQUIRE,
          '-e',
          `${modules.map((m) => `require(${JSON.stringify(`./${m}`)});`).join('')}
          const loaded = Object.keys(require.cache).filter((k) => k.includes('/node_modules/@pulumi/'));
          console.log(JSON.stringify([...new Set(loaded.map((k) => k.split('/node_modules/').pop().split('/').slice(0, 2).join('/')))].sort()));`,
        ],
        // One node process loading a few modules: seconds at most, even on a loaded machine.
        { cwd: ROOT, timeout: 60_000 },
      );
      expect(run.status, run.stderr.toString()).toBe(0);
      return JSON.parse(run.stdout.toString()) as string[];
    };
    expect(
      pulumiLoadedBy([
        'infra/backstage-spec',
        'infra/backstage-values',
        'infra/backstage-policy',
        'infra/gitlab/gitlab-spec',
        'infra/gitlab/portal-access',
        'stacks/component-args',
        // The plan parses a stack's configuration with it before the SDK loads.
        'stacks/config-parse',
      ]),
    ).toEqual([]);
    // The check is live: a component module loads the SDK.
    expect(pulumiLoadedBy(['infra/backstage'])).toContain('@pulumi/pulumi');
  }, 120_000);
});
