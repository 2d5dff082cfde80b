/**
 * One valid set of inputs per template, and the values its steps would compute from them in a
 * portal (catalog lookups, the default environment, the signed-in user), for rendering the
 * skeletons offline with Backstage's fetch:template.
 */

export interface TemplateExample {
  /** The form's parameters, as the scaffolder receives them. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * `values.*` of the render step that are not a plain `${{ parameters.x }}` (they come from other
   * steps, the environment or the user), as the portal would compute them for these parameters.
   */
  readonly derived: Readonly<Record<string, unknown>>;
}

/** The default environment of the dev stack (app-config.production.yaml with Pulumi.dev.yaml). */
export const EXAMPLE_ENVIRONMENT = {
  gitlabHost: 'gitlab.example.com',
  customersGroup: 'acme-platform/customers',
  customersGroupEntity: 'customers',
} as const;

export const TEMPLATE_EXAMPLES: Readonly<Record<string, TemplateExample>> = {
  'team-namespace': {
    parameters: {
      name: 'team-a',
      owner: 'group:default/customers-team-a',
      size: 'medium',
      viewers: ['acme-platform/platform-team'],
    },
    derived: {
      // The owner Group's `<host>/team-path` annotation, set by the GitLab org provider.
      owner: 'acme-platform/customers/team-a',
      requestedBy: 'user:default/jane.doe',
    },
  },
  'postgres-database': {
    parameters: { namespace: 'team-a', name: 'orders', version: '16', storage: '20Gi' },
    derived: { requestedBy: 'user:default/jane.doe' },
  },
  'customer-group': {
    parameters: {
      name: 'team-b',
      displayName: 'Team B (payments)',
      description: 'Payments and invoicing',
      size: 'small',
    },
    derived: {
      owner: `${EXAMPLE_ENVIRONMENT.customersGroup}/team-b`,
      customersGroup: EXAMPLE_ENVIRONMENT.customersGroup,
      customersGroupEntity: EXAMPLE_ENVIRONMENT.customersGroupEntity,
      gitlabHost: EXAMPLE_ENVIRONMENT.gitlabHost,
      requestedBy: 'user:default/jane.doe',
    },
  },
  'new-service': {
    parameters: {
      name: 'invoice-api',
      description: 'Creates and sends invoices',
      owner: 'group:default/customers-team-b',
      system: 'system:default/platform',
      lifecycle: 'experimental',
      namespace: 'team-b',
      repoUrl: 'gitlab.example.com?owner=acme-platform%2Fcustomers%2Fteam-b&repo=invoice-api',
    },
    derived: {
      projectSlug: 'acme-platform/customers/team-b/invoice-api',
      gitlabHost: 'gitlab.example.com',
    },
  },
};

/**
 * A step input as the scaffolder evaluates `${{ parameters.x }}` in it: alone, the parameter's
 * value (its type kept); inside text, interpolated.
 */
export function evaluateParameters(
  value: unknown,
  parameters: Readonly<Record<string, unknown>>,
): unknown {
  if (typeof value !== 'string') {
    return value;
  }
  const whole = /^\$\{\{ parameters\.(\w+) \}\}$/.exec(value);
  if (whole !== null) {
    return parameters[whole[1]];
  }
  return value.replace(/\$\{\{ parameters\.(\w+) \}\}/g, (_, k: string) => String(parameters[k]));
}

/**
 * The values a template's render step passes to fetch:template for `parameters`: plain
 * parameter references evaluated, the rest (other steps' outputs, the environment, the user)
 * from the template's example.
 */
export function exampleRenderValues(
  template: string,
  values: Readonly<Record<string, unknown>>,
  parameters: Readonly<Record<string, unknown>> = TEMPLATE_EXAMPLES[template].parameters,
): Record<string, unknown> {
  const { derived } = TEMPLATE_EXAMPLES[template];
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => {
      if (typeof v === 'string' && /^\$\{\{ parameters\.\w+ \}\}$/.test(v)) {
        return [k, evaluateParameters(v, parameters)];
      }
      if (!(k in derived)) {
        throw new Error(`${template}: no example value for values.${k} (${String(v)})`);
      }
      return [k, derived[k]];
    }),
  );
}
