/**
 * The dev stack's program run once under Pulumi's mocks, for the stack tests: what it registers,
 * its rendered plan, and lookups. Every generated secret gets a canary value from the mocks, so
 * that tests can prove none of them reaches the plan.
 */
import * as path from 'node:path';
import { beforeAll } from 'vitest';
import { planConfig, renderPlan } from './plan';
import { runUnderMocks, type PlanEntry, type RunResult } from './pulumi-mocks';

/** What the mocks give every generated secret; no output may ever show it. */
export const CANARY = 'Q0FOQVJZLXNlY3JldC12YWx1ZS1uZXZlci1zaG93bg==';
/** The GitLab admin token the run is configured with; it must never reach the cluster. */
export const ADMIN_TOKEN = 'glpat-CANARY-admin-token-never-shown';

export interface DevStack {
  readonly result: RunResult;
  readonly plan: string;
  readonly byType: (type: string) => PlanEntry[];
  readonly one: (type: string, name: string) => PlanEntry;
}

const SECRET_OUTPUTS: Readonly<Record<string, Record<string, unknown>>> = {
  'random:index/randomBytes:RandomBytes': { base64: CANARY, hex: 'ca11ab1e' },
  'random:index/randomPassword:RandomPassword': { result: CANARY, bcryptHash: CANARY },
  'gitlab:index/application:Application': { applicationId: 'client-id-1', secret: CANARY },
  'gitlab:index/groupAccessToken:GroupAccessToken': { token: CANARY },
  'gitlab:index/projectAccessToken:ProjectAccessToken': { token: CANARY },
  'gitlab:index/clusterAgentToken:ClusterAgentToken': { token: CANARY },
};

/** Runs stacks/index.ts with Pulumi.dev.yaml (once per test file: Pulumi's runtime is global). */
export async function runDevStack(): Promise<DevStack> {
  const root = path.resolve(__dirname, '..');
  const result = await runUnderMocks({
    stack: 'dev',
    config: {
      ...planConfig(path.join(root, 'Pulumi.dev.yaml')),
      'platform:gitlabAdminToken': ADMIN_TOKEN,
    },
    mockOutputs: (type) => SECRET_OUTPUTS[type] ?? {},
    load: () => import('../stacks/index'),
  });
  return {
    result,
    plan: renderPlan('dev', result),
    byType: (type) => result.entries.filter((e) => e.type === type),
    one: (type, name) => {
      const found = result.entries.find((e) => e.type === type && e.name === name);
      if (found === undefined) {
        throw new Error(`no ${type} ${name}`);
      }
      return found;
    },
  };
}

/**
 * The dev stack for a test file: run once before its tests (`beforeAll`), read by them through
 * the returned object.
 */
export function useDevStack(): DevStack {
  let current: DevStack | undefined;
  beforeAll(async () => {
    current = await runDevStack();
  });
  const get = (): DevStack => {
    if (current === undefined) {
      throw new Error('the dev stack is available inside tests only (it runs in beforeAll)');
    }
    return current;
  };
  return {
    get result() {
      return get().result;
    },
    get plan() {
      return get().plan;
    },
    byType: (type) => get().byType(type),
    one: (type, name) => get().one(type, name),
  };
}
