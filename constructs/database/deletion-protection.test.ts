/**
 * The database's deletion protection, judged by the API server's own admission code (vap-check
 * in testing/control-plane): the policies pass its create-time validation and type checker
 * against the instance CRD Kro generates, and its ValidatingAdmissionPolicy plugin decides the
 * sample requests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdmissionRequest,
  BUILD_TIMEOUT_MS,
  controlPlaneCommand,
  RUN_TIMEOUT_MS,
  vapCheck,
} from '../../testing/control-plane';
import { DatabaseApi } from './database';
import { testApp } from '../../testing/cdk8s-app';

const chart = new Chart(testApp(), 'test');
new DatabaseApi(chart, 'Database');
const objects = Testing.synth(chart) as Record<string, any>[];
const policies = objects.filter(
  (o) => o.kind === 'ValidatingAdmissionPolicy' && /-protect-/.test(o.metadata.name),
);
const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'database-vap-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const write = (name: string, docs: Record<string, any>[]): string => {
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(file, docs.map((o) => `---\n${stringify(o)}`).join(''));
  return file;
};
const chartFile = write('chart', objects);

const LABEL = 'platform.example.org/deletion-protection';
const INSTANCES = 'postgresdatabases.platform.example.org-protect-instances';
const VOLUMES = 'postgresdatabases.platform.example.org-protect-volumes';
const PLACEMENT = 'postgresdatabases.platform.example.org-team-namespaces-only';

const instance = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'platform.example.org/v1alpha1',
  kind: 'PostgresDatabase',
  metadata: { name: 'orders', namespace: 'team-a' },
  spec: { version: '17', storage: '5Gi', ...spec },
});
const volume = (labels?: Record<string, string>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'orders-data', namespace: 'team-a', ...(labels ? { labels } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
});
const del = (oldObject: Record<string, unknown>): AdmissionRequest => ({
  operation: 'DELETE',
  oldObject,
});

describe('database deletion protection', () => {
  beforeAll(async () => {
    await controlPlaneCommand('vap-check');
  }, BUILD_TIMEOUT_MS);

  it('binds each policy with Deny, failing closed, on DELETE only', () => {
    expect(policies.map((p) => p.metadata.name)).toEqual([INSTANCES, VOLUMES]);
    for (const p of policies) {
      expect(p.spec.failurePolicy).toBe('Fail');
      expect(p.spec.matchConstraints.resourceRules.map((r: any) => r.operations)).toEqual([
        ['DELETE'],
      ]);
      const binding = bindings.find((b) => b.spec.policyName === p.metadata.name);
      expect(binding?.spec.validationActions).toEqual(['Deny']);
    }
  });

  it(
    'passes the API server validation and type checker, against the CRD Kro generates',
    async () => {
      const { status, report } = await vapCheck([chartFile]);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(status).toBe(0);
      expect(report.rgds.map((r) => r.ok)).toEqual([true]);
      expect(report.checks.map((c) => `${c.kind} ${c.name}`)).toEqual([
        `ValidatingAdmissionPolicy ${INSTANCES}`,
        `ValidatingAdmissionPolicy ${VOLUMES}`,
        `ValidatingAdmissionPolicy ${PLACEMENT}`,
        `ValidatingAdmissionPolicyBinding ${INSTANCES}`,
        `ValidatingAdmissionPolicyBinding ${VOLUMES}`,
        `ValidatingAdmissionPolicyBinding ${PLACEMENT}`,
      ]);
      const typeChecked = Object.fromEntries(
        report.checks
          .filter((c) => c.kind === 'ValidatingAdmissionPolicy')
          .map((c) => [c.name, c.typeChecked]),
      );
      expect(typeChecked).toEqual({
        [INSTANCES]: ['platform.example.org/v1alpha1, Kind=PostgresDatabase'],
        [VOLUMES]: ['/v1, Kind=PersistentVolumeClaim'],
        [PLACEMENT]: ['platform.example.org/v1alpha1, Kind=PostgresDatabase'],
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses to delete a protected instance or volume, and allows it once unprotected',
    async () => {
      const { status, report } = await vapCheck(
        [chartFile],
        [
          del(instance({ deletionProtection: true })),
          del(instance({ deletionProtection: false })),
          // Stored instances always have the field (the CRD defaults it on read); without it,
          // the policy fails closed.
          del(instance({})),
          del(volume({ [LABEL]: 'true' })),
          del(volume({ [LABEL]: 'false' })),
          del(volume()),
          // Turning protection off is an update, which the policies never look at.
          {
            operation: 'UPDATE',
            oldObject: instance({ deletionProtection: true }),
            object: instance({ deletionProtection: false }),
          },
          del({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {
              name: 'orders-credentials',
              namespace: 'team-a',
              labels: { [LABEL]: 'true' },
            },
          }),
        ],
      );
      expect(status).toBe(0);
      expect(report.outcomes.map((o) => o.error)).toEqual(Array(8).fill(undefined));
      expect(report.outcomes.map((o) => o.allowed)).toEqual([
        false,
        true,
        false,
        false,
        true,
        true,
        true,
        true,
      ]);
      expect(report.outcomes[0].decisions).toEqual([
        {
          policy: INSTANCES,
          binding: INSTANCES,
          denied: true,
          reason: 'Forbidden',
          message:
            'PostgresDatabase team-a/orders has spec.deletionProtection: true; merge deletionProtection: false first, then delete it',
        },
      ]);
      expect(report.outcomes[3].decisions).toEqual([
        {
          policy: VOLUMES,
          binding: VOLUMES,
          denied: true,
          reason: 'Forbidden',
          message:
            'PersistentVolumeClaim team-a/orders-data holds the data of a PostgresDatabase with spec.deletionProtection: true; merge deletionProtection: false first',
        },
      ]);
      // The volume binding selects only labelled volumes: the policy is not even evaluated.
      expect(report.outcomes[4].decisions).toEqual([]);
      expect(report.outcomes[5].decisions).toEqual([]);
      expect(report.outcomes[7].decisions).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'would refuse a policy reading a field the instance does not have, or matching every version',
    async () => {
      const typo = structuredClone(objects);
      typo.find(
        (o) => o.metadata.name === INSTANCES && o.kind === 'ValidatingAdmissionPolicy',
      )!.spec.validations[0].expression = '!oldObject.spec.deletionProtected';
      const { status, report } = await vapCheck([write('typo', typo)]);
      expect(status).toBe(1);
      expect(report.checks.find((c) => c.name === INSTANCES && !c.ok)?.errors).toEqual([
        expect.stringMatching(/undefined field 'deletionProtected'/),
      ]);

      const wildcard = structuredClone(objects);
      wildcard.find(
        (o) => o.metadata.name === INSTANCES && o.kind === 'ValidatingAdmissionPolicy',
      )!.spec.matchConstraints.resourceRules[0].apiVersions = ['*'];
      const second = await vapCheck([write('wildcard', wildcard)]);
      expect(second.status).toBe(1);
      expect(second.report.checks.find((c) => c.name === INSTANCES)?.errors).toEqual([
        expect.stringMatching(/^no kind to type-check against/),
      ]);
    },
    RUN_TIMEOUT_MS,
  );
});
