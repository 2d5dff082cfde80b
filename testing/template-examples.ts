/**
 * One valid set of inputs per template (the README's worked examples) and the catalog a stack's
 * portal holds for them, for any stack: the GitLab groups as the org provider ingests them and
 * the platform's System. The values a template derives (the owner's GitLab path, the customers
 * group, the GitLab host) are not given here: the templates' own steps compute them from the
 * catalog and the stack's default environment (testing/template-run.ts, the portal e2e).
 */
import type { Entity } from '@backstage/catalog-model';
import { orgEntityName } from '../infra/backstage-spec';
import { runTemplate, type TemplateRun } from './template-run';
import { DEV_STACK, orgGroup, type TemplateStack } from './template-stack';

export const TEMPLATE_NAMES = [
  'team-namespace',
  'postgres-database',
  'customer-group',
  'new-service',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The Group entity ref of a customer team of `stack`, as the org provider names it. */
export const customerGroupRef = (stack: TemplateStack, team: string): string =>
  `group:default/${orgEntityName(stack.platformGroup, `${stack.customersGroup}/${team}`)}`;

/** The form's parameters of the worked example, as the scaffolder receives them. */
export function exampleParameters(
  name: TemplateName,
  stack: TemplateStack = DEV_STACK,
): Record<string, unknown> {
  switch (name) {
    case 'team-namespace':
      return {
        name: 'team-a',
        owner: customerGroupRef(stack, 'team-a'),
        size: 'medium',
        viewers: [`${stack.platformGroup}/platform-team`],
      };
    case 'postgres-database':
      return { namespace: 'team-a', name: 'orders', version: '16', storage: '20Gi' };
    case 'customer-group':
      return {
        name: 'team-b',
        displayName: 'Team B (payments)',
        description: 'Payments and invoicing',
        size: 'small',
      };
    case 'new-service': {
      const host = new URL(stack.gitlabUrl).host;
      const group = encodeURIComponent(`${stack.customersGroup}/team-b`);
      return {
        name: 'invoice-api',
        description: 'Creates and sends invoices',
        owner: customerGroupRef(stack, 'team-b'),
        system: 'system:default/platform',
        lifecycle: 'experimental',
        namespace: 'team-b',
        // What the RepoUrlPicker writes: host, then owner and repo as URL query parameters.
        repoUrl: `${host}?owner=${group}&repo=invoice-api`,
      };
    }
  }
}

/** What a stack's catalog holds for the examples: its GitLab groups and the platform System. */
export function exampleCatalog(stack: TemplateStack = DEV_STACK): Entity[] {
  return [
    orgGroup(stack, `${stack.platformGroup}/platform-team`),
    orgGroup(stack, stack.customersGroup),
    orgGroup(stack, `${stack.customersGroup}/team-a`),
    orgGroup(stack, `${stack.customersGroup}/team-b`),
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'platform', namespace: 'default' },
      spec: { owner: 'group:default/platform-team' },
    },
  ];
}

/** Runs a template on `stack` with the example catalog (and `extra.catalog` besides). */
export function runOnStack(
  name: TemplateName,
  stack: TemplateStack,
  parameters: Record<string, unknown> = exampleParameters(name, stack),
  extra: { claims?: Record<string, string>; user?: string | null; catalog?: Entity[] } = {},
): Promise<TemplateRun> {
  return runTemplate(name, {
    parameters,
    stack,
    catalog: [...exampleCatalog(stack), ...(extra.catalog ?? [])],
    ...(extra.claims !== undefined ? { claims: extra.claims } : {}),
    ...(extra.user !== undefined ? { user: extra.user } : {}),
  });
}
