/**
 * Databases only in team namespaces, judged by the API server's own admission code (vap-check
 * in testing/control-plane): the policy type-checks against the CRD Kro generates, and the
 * plugin refuses a create in a namespace the TeamNamespace API did not make.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../../charts/platform';
import {
  type AdmissionRequest,
  BUILD_TIMEOUT_MS,
  controlPlaneCommand,
  RUN_TIMEOUT_MS,
  vapCheck,
} from '../../testing/control-plane';
import { PropsError } from '../validation';
import { DatabaseApi } from './database';
import { testApp, testChart } from '../../testing/cdk8s-app';

const POLICY = 'postgresdatabases.platform.example.org-team-namespaces-only';
const OWNER_LABEL = 'platform.example.org/owner';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'database-placement-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// The database chart as the platform builds it: the label comes from the TeamNamespace API.
const { database, teamNamespace } = buildPlatformCharts(testApp());
const objects = Testing.synth(database) as Record<string, any>[];
const chartFile = path.join(work, 'database.yaml');
fs.writeFileSync(chartFile, objects.map((o) => `---\n${stringify(o)}`).join(''));

const create = (namespace: string, labels?: Record<string, string>): AdmissionRequest => ({
  operation: 'CREATE',
  object: {
    apiVersion: 'platform.example.org/v1alpha1',
    kind: 'PostgresDatabase',
    metadata: { name: 'orders', namespace },
    spec: { version: '17', storage: '5Gi', deletionProtection: true },
  },
  ...(labels !== undefined ? { namespaceLabels: labels } : {}),
});

describe('databases in team namespaces only', () => {
  beforeAll(async () => {
    await controlPlaneCommand('vap-check');
  }, BUILD_TIMEOUT_MS);

  it('reads the label the TeamNamespace composition sets on its namespaces', () => {
    expect(teamNamespace.api.ownerLabel).toBe(OWNER_LABEL);
    const policy = objects.find(
      (o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === POLICY,
    );
    expect(policy?.spec.validations[0].expression).toContain(`'${OWNER_LABEL}'`);
    expect(policy?.spec.matchConstraints.resourceRules[0].operations).toEqual(['CREATE']);
  });

  it(
    'admits a create in a team namespace and refuses it anywhere else, with a message that says why',
    async () => {
      const { status, report } = await vapCheck(
        [chartFile],
        [
          create('team-a', { [OWNER_LABEL]: 'team-a', 'kubernetes.io/metadata.name': 'team-a' }),
          create('kube-system', { 'kubernetes.io/metadata.name': 'kube-system' }),
          create('by-hand'),
          // Updating an instance is never refused by this policy.
          {
            operation: 'UPDATE',
            oldObject: create('legacy').object,
            object: create('legacy').object,
          },
        ],
      );
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(status).toBe(0);
      expect(report.outcomes.map((o) => [o.allowed, o.error])).toEqual([
        [true, undefined],
        [false, undefined],
        [false, undefined],
        [true, undefined],
      ]);
      expect(report.outcomes[1].decisions).toEqual([
        {
          policy: POLICY,
          binding: POLICY,
          denied: true,
          reason: 'Forbidden',
          message: `PostgresDatabase orders: namespace kube-system is not a team namespace (it has no ${OWNER_LABEL} label); request a TeamNamespace and create the PostgresDatabase there`,
        },
      ]);
    },
    RUN_TIMEOUT_MS,
  );

  it('refuses a label that is not a label key', () => {
    const problems = (teamNamespaceLabel: string): readonly string[] => {
      try {
        new DatabaseApi(testChart(), 'Db', { teamNamespaceLabel });
      } catch (e) {
        expect(e).toBeInstanceOf(PropsError);
        return (e as PropsError).problems;
      }
      throw new Error(`${teamNamespaceLabel} was accepted`);
    };
    expect(problems('not a label')).toEqual([
      'teamNamespaceLabel: "not a label" is not allowed; expected a label key such as "platform.example.org/owner"',
    ]);
    // A quote would end the CEL string literal the label is written into.
    expect(problems("a'b/c")).toHaveLength(1);
    expect(problems(`example.org/${'x'.repeat(64)}`)).toHaveLength(1);
  });
});
