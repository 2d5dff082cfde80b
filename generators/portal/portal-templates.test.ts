/**
 * The templates of dist/templates run offline with every step they have, through the real
 * actions (testing/template-run.ts: Backstage's fetch:template and catalog:register, the pinned
 * publish:gitlab:merge-request against a @gitbeaker client stub, the portal's own checks against
 * a catalog stub), for stacks at the boundaries the configuration schema allows; everything they
 * produce is judged by its consumer (testing/template-output.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { orgEntityName } from '../../infra/backstage-spec';
import { parseConfig } from '../../stacks/config';
import { validateEntity } from '../../testing/catalog';
import { checkGitlabCi } from '../../testing/gitlab-ci';
import {
  customerGroupRef,
  exampleParameters,
  runOnStack,
  TEMPLATE_NAMES,
  type TemplateName,
} from '../../testing/template-examples';
import { outputProblems, pipelineProblems } from '../../testing/template-output';
import { distTemplate, type TemplateRun } from '../../testing/template-run';
import {
  BOUNDARY_STACKS,
  DEV_STACK,
  orgGroup,
  type TemplateStack,
} from '../../testing/template-stack';

const STACKS = BOUNDARY_STACKS;

describe('the stacks these tests use', () => {
  it.each(Object.entries(STACKS))('%s is one the stack configuration allows', (_, stack) => {
    const config = parseConfig({
      baseDomain: 'idp.example.com',
      gitlabAdminToken: 'test-token',
      gitlabUrl: stack.gitlabUrl,
      gitlabPlatformGroup: stack.platformGroup,
      gitlabPlatformTeamGroup: `${stack.platformGroup}/team`,
      gitlabCustomersGroup: stack.customersGroup,
      gitlabClaimsProject: stack.claimsProject,
    });
    expect(config.gitlabCustomersGroup).toBe(stack.customersGroup);
  });

  it('reach the longest customers group path the configuration allows', () => {
    expect(STACKS.longest.customersGroup).toHaveLength(32);
  });

  it('leave out GitLab hosts with a port: no portal could ingest their groups', async () => {
    const stack = { ...DEV_STACK, gitlabUrl: 'https://gitlab.example.com:8443' };
    // The org provider annotates its groups `<host>/team-path`; the catalog refuses that key.
    expect((await validateEntity(orgGroup(stack, stack.customersGroup))).join()).toMatch(
      /gitlab\.example\.com:8443\/team-path/,
    );
    expect(() =>
      parseConfig({
        baseDomain: 'idp.example.com',
        gitlabAdminToken: 't',
        gitlabUrl: stack.gitlabUrl,
      }),
    ).toThrow(
      /gitlabUrl: "https:\/\/gitlab\.example\.com:8443" is not allowed; expected an https URL without a port/,
    );
  });
});

const run = runOnStack;

/** Runs, and expects everything it produced to be accepted by its consumer. */
async function runOk(
  name: TemplateName,
  stack: TemplateStack,
  parameters: Record<string, unknown> = exampleParameters(name, stack),
  extra: Parameters<typeof runOnStack>[3] = {},
): Promise<TemplateRun> {
  const result = await run(name, stack, parameters, extra);
  expect(await outputProblems(name, result, stack, parameters), JSON.stringify(parameters)).toEqual(
    [],
  );
  if (result.mergeRequestFiles !== undefined) {
    expect(pipelineProblems(result.mergeRequestFiles, stack)).toBe('');
  }
  return result;
}

const claimOf = (r: TemplateRun, file: string): Record<string, any> =>
  parse(r.mergeRequestFiles![file]) as Record<string, any>;

describe.each(Object.entries(STACKS))('the worked examples on the %s stack', (_, stack) => {
  const host = new URL(stack.gitlabUrl).host;

  it('team-namespace claims the namespace for the GitLab group of the chosen owner', async () => {
    const r = await runOk('team-namespace', stack);
    expect(Object.keys(r.mergeRequestFiles!)).toEqual(['claims/teamnamespaces/team-a.yaml']);
    expect(claimOf(r, 'claims/teamnamespaces/team-a.yaml').spec).toEqual({
      owner: `${stack.customersGroup}/team-a`,
      size: 'medium',
      viewers: [`${stack.platformGroup}/platform-team`],
    });
    expect(r.mergeRequest).toMatchObject({
      source_branch: 'claims/teamnamespaces/team-a',
      title: 'TeamNamespace team-a',
      labels: ['platform-claim'],
    });
  });

  it('postgres-database claims the database in its namespace', async () => {
    const r = await runOk('postgres-database', stack);
    expect(claimOf(r, 'claims/postgresdatabases/team-a/orders.yaml')).toMatchObject({
      metadata: { name: 'orders', namespace: 'team-a' },
      spec: { version: '16', storage: '20Gi' },
    });
  });

  it('customer-group requests the group and a namespace it owns, in one merge request', async () => {
    const r = await runOk('customer-group', stack);
    const group = JSON.parse(r.mergeRequestFiles!['groups/team-b.json']) as Record<string, any>;
    const entity = orgEntityName(stack.platformGroup, stack.customersGroup);
    expect(group).toMatchObject({
      metadata: {
        name: `${entity}-team-b`,
        description: 'Payments and invoicing',
        annotations: { 'platform.example.org/gitlab-group': `${stack.customersGroup}/team-b` },
      },
      spec: { parent: entity, profile: { displayName: 'Team B (payments)' } },
    });
    expect(claimOf(r, 'claims/teamnamespaces/team-b.yaml').spec).toEqual({
      owner: `${stack.customersGroup}/team-b`,
      size: 'small',
    });
  });

  it('new-service publishes the project with its catalog entry and registers it', async () => {
    const r = await runOk('new-service', stack);
    const entity = parse(r.published!['catalog-info.yaml']) as Record<string, any>;
    expect(entity.metadata.annotations).toEqual({
      'gitlab.com/project-slug': `${stack.customersGroup}/team-b/invoice-api`,
      'gitlab.com/instance': host,
      'backstage.io/techdocs-ref': 'dir:.',
      'backstage.io/kubernetes-id': 'invoice-api',
      'backstage.io/kubernetes-namespace': 'team-b',
    });
    expect(r.registered).toEqual([
      `${stack.gitlabUrl}/${stack.customersGroup}/team-b/invoice-api/-/blob/main/catalog-info.yaml`,
    ]);
    expect(r.steps.find((s) => s.action === 'publish:gitlab')?.input).toMatchObject({
      repoUrl: exampleParameters('new-service', stack).repoUrl,
      repoVisibility: 'private',
    });
  });
});

it('new-service gives a pipeline GitLab accepts, and TechDocs', async () => {
  const r = await runOk('new-service', DEV_STACK);
  const check = checkGitlabCi(r.published!['.gitlab-ci.yml']);
  expect(check.ok, check.output).toBe(true);
  const ci = parse(r.published!['.gitlab-ci.yml']) as Record<string, any>;
  expect(Object.keys(ci).filter((k) => ci[k]?.script !== undefined)).toEqual([
    'lint-dockerfile',
    'build-image',
    'techdocs',
  ]);
  expect(parse(r.published!['mkdocs.yml']).plugins).toContain('techdocs-core');
}, 60_000);

/** The form fields a caller may leave out (in no page's `required`). */
function optionalFields(name: TemplateName): string[] {
  const pages = distTemplate(name).spec.parameters as {
    properties: Record<string, unknown>;
    required?: string[];
  }[];
  return pages.flatMap((p) => Object.keys(p.properties).filter((k) => !p.required?.includes(k)));
}

describe('optional fields left out, as API callers and CI send them (only the UI fills defaults)', () => {
  it('every template has optional fields to leave out', () => {
    expect(Object.fromEntries(TEMPLATE_NAMES.map((n) => [n, optionalFields(n)]))).toEqual({
      'team-namespace': ['size', 'viewers'],
      'postgres-database': ['version', 'storage'],
      'customer-group': ['description', 'size'],
      'new-service': ['system'],
    });
  });

  it.each(TEMPLATE_NAMES.flatMap((n) => Object.keys(STACKS).map((s) => [n, s] as const)))(
    '%s on the %s stack: each one alone and all at once',
    async (name, stackName) => {
      const stack = STACKS[stackName];
      const example = exampleParameters(name, stack);
      const omissions = [...optionalFields(name).map((f) => [f]), optionalFields(name)];
      for (const omitted of omissions) {
        const parameters = Object.fromEntries(
          Object.entries(example).filter(([k]) => !omitted.includes(k)),
        );
        const r = await runOk(name, stack, parameters);
        for (const file of Object.keys(r.mergeRequestFiles ?? {})) {
          if (file.startsWith('claims/')) {
            // Left out, so that the API's default applies.
            const spec = claimOf(r, file).spec as Record<string, unknown>;
            for (const f of omitted) expect(spec[f], `${file} ${f}`).toBeUndefined();
          } else {
            const group = JSON.parse(r.mergeRequestFiles![file]) as Record<string, any>;
            expect('description' in group.metadata).toBe(!omitted.includes('description'));
          }
        }
      }
    },
  );

  it('a run without a signed-in user (a service token) still makes valid claims', async () => {
    const r = await runOk('team-namespace', DEV_STACK, undefined, { user: null });
    const claim = claimOf(r, 'claims/teamnamespaces/team-a.yaml');
    expect(claim.metadata.annotations).toBeUndefined();
  });
});

describe('picker fields: refused by the form, or by a check before anything is written', () => {
  const stack = STACKS.longest;
  const host = new URL(stack.gitlabUrl).host;
  const group = (name: string, annotations: Record<string, string>) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'team', children: [] },
  });
  const catalog = [
    group('by-hand', {}),
    group('other-host', { 'gitlab.example.com/team-path': 'acme-platform/customers/x' }),
    group('customers-upper', { [`${host}/team-path`]: `${stack.customersGroup}/Team_A` }),
    // A group the org provider ingested, too deep for a TeamNamespace owner (64 characters).
    orgGroup(stack, `${stack.customersGroup}/${'d'.repeat(31)}`),
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'jane.doe', namespace: 'default' },
      spec: { memberOf: [] },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'billing', namespace: 'default' },
      spec: { type: 'service', lifecycle: 'production', owner: 'group:default/by-hand' },
    },
  ];
  const deep = `group:default/${orgEntityName(stack.platformGroup, `${stack.customersGroup}/${'d'.repeat(31)}`)}`;

  /** value -> 'form' (refused by the form), a step id (refused there), or 'ok'. */
  const OWNERS: Record<string, Record<string, string>> = {
    'team-namespace': {
      [customerGroupRef(stack, 'team-a')]: 'ok',
      [`group:default/${orgEntityName(stack.platformGroup, `${stack.platformGroup}/platform-team`)}`]:
        'ok',
      '': 'form',
      ':': 'form',
      'group:default/': 'form',
      'customers-team-a': 'form',
      'Group:default/by-hand': 'form',
      'user:default/jane.doe': 'form',
      'component:default/billing': 'form',
      '${{ parameters.name }}': 'form',
      'group:default/a\nb': 'form',
      'group:default/nobody': 'fetchOwner',
      'group:default/by-hand': 'fetchOwner',
      'group:default/other-host': 'fetchOwner',
      'group:default/customers-upper': 'fetchOwner',
      [deep]: 'fetchOwner',
    },
    'new-service': {
      [customerGroupRef(stack, 'team-b')]: 'ok',
      // Any Group may own a service; it needs no GitLab group.
      'group:default/by-hand': 'ok',
      '': 'form',
      'group:default/': 'form',
      'user:default/jane.doe': 'form',
      'group:default/nobody': 'checkOwner',
    },
  };

  it.each(
    Object.entries(OWNERS).flatMap(([t, values]) =>
      Object.entries(values).map(([v, e]) => [t, v, e]),
    ),
  )('%s owner %j: %s', async (name, owner, expected) => {
    const parameters = { ...exampleParameters(name as TemplateName, stack), owner };
    const r = await run(name as TemplateName, stack, parameters, { catalog });
    if (expected === 'form') {
      expect(r.rejected?.join()).toMatch(/owner/);
    } else if (expected === 'ok') {
      expect(await outputProblems(name, r, stack, parameters)).toEqual([]);
    } else {
      expect(r.failed?.step).toBe(expected);
      expect(r.failed?.error.name).toBe('InputError');
      expect(r.failed?.error.message).toMatch(/^owner: /);
      expect(r.gitlabWrites).toBe(0);
      expect(r.steps.some((s) => s.action.startsWith('publish:'))).toBe(false);
    }
  });

  it.each([
    ['system:default/platform', 'ok'],
    ['system:default/elsewhere', 'checkSystem'],
    ['group:default/by-hand', 'form'],
    ['', 'form'],
  ])('new-service system %j: %s', async (system, expected) => {
    const parameters = { ...exampleParameters('new-service', stack), system };
    const r = await run('new-service', stack, parameters, { catalog });
    if (expected === 'form') {
      expect(r.rejected?.join()).toMatch(/system/);
    } else if (expected === 'ok') {
      expect(await outputProblems('new-service', r, stack, parameters)).toEqual([]);
    } else {
      expect(r.failed).toMatchObject({ step: expected });
      expect(r.failed?.error.message).toMatch(
        /^system: system:default\/elsewhere is not in the catalog/,
      );
      expect(r.published).toBeUndefined();
    }
  });

  it('new-service refuses a name a component already has, before the project exists', async () => {
    const parameters = { ...exampleParameters('new-service', stack), name: 'billing' };
    const r = await run('new-service', stack, parameters, { catalog });
    expect(r.failed?.step).toBe('checkName');
    expect(r.failed?.error.message).toBe(
      'name: component:default/billing is already in the catalog; choose another name',
    );
    expect(r.published).toBeUndefined();
  });
});

describe('a claim the claims repository already has', () => {
  it.each([
    ['team-namespace', 'claims/teamnamespaces/team-a.yaml'],
    ['postgres-database', 'claims/postgresdatabases/team-a/orders.yaml'],
    ['customer-group', 'groups/team-b.json'],
  ] as const)('%s stops before writing when %s is on main', async (name, file) => {
    const stack = STACKS.longest;
    const r = await run(name, stack, undefined, { claims: { [file]: 'existing\n' } });
    expect(r.failed?.step).toBe('checkClaimIsNew');
    expect(r.failed?.error.message).toContain(
      `${stack.gitlabUrl}/${stack.platformGroup}/${stack.claimsProject}/-/blob/main/${file}`,
    );
    expect(r.gitlabWrites).toBe(0);
  });
});

describe('free text stays text', () => {
  it.each(['${{ parameters.name }}', '{% raw %}', '": x, "kind": "Secret', '{{ 7*7 }}', 'null'])(
    'customer-group description %j is written as it is',
    async (description) => {
      const parameters = { ...exampleParameters('customer-group'), description };
      const r = await runOk('customer-group', DEV_STACK, parameters);
      expect(JSON.parse(r.mergeRequestFiles!['groups/team-b.json']).metadata.description).toBe(
        description,
      );
    },
  );

  it.each(['two\nlines', 'x'.repeat(201)])(
    'customer-group description %j is refused',
    async (d) => {
      const r = await run('customer-group', DEV_STACK, {
        ...exampleParameters('customer-group'),
        description: d,
      });
      expect(r.rejected?.join()).toMatch(/description/);
    },
  );
});
