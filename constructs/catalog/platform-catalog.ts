/**
 * The catalog entities that describe the platform itself: the System, its Components (the portal
 * and the controllers), the portal's database as a Resource, one API entity per platform API
 * (its schema as an OpenAPI definition, so the portal's API docs render it), and the Locations
 * that register the templates. Written to dist/catalog/ and registered from backstage-config/.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { OpenApiSchema } from '../openapi';
import { TECHDOCS_THEME } from '../techdocs';

export const ENTITY_API_VERSION = 'backstage.io/v1alpha1';

/** A platform API as the catalog describes it. */
export interface CatalogApi {
  /** Entity name of the API. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** The schema of the kind's objects (spec and status). */
  readonly schema: OpenApiSchema;
  /** Entity name of the component that serves it (the controller). */
  readonly providedBy: string;
  /** The template that requests it, if any. */
  readonly template?: string;
}

export interface PlatformCatalogProps {
  /** Owner of every entity (an entity ref). @default 'group:default/platform-team' */
  readonly owner?: string;
  readonly apis: readonly CatalogApi[];
  /** Names of the templates, each at `../templates/<name>/template.yaml` from the catalog. */
  readonly templates: readonly string[];
  /** Upstream versions, shown on the components. */
  readonly versions: Readonly<Record<'crossplane' | 'kro' | 'cloudnativePg' | 'backstage', string>>;
}

/** An entity as a cdk8s ApiObject (entity metadata has fields Kubernetes metadata does not). */
class Entity extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    kind: string,
    metadata: Record<string, unknown> & { name: string },
    spec: Record<string, unknown>,
  ) {
    const { name, ...rest } = metadata;
    super(scope, id, { apiVersion: ENTITY_API_VERSION, kind, metadata: { name } });
    this.addJsonPatch(
      ...Object.entries(rest).map(([k, v]) => JsonPatch.add(`/metadata/${k}`, v)),
      JsonPatch.add('/spec', spec),
    );
  }
}

/** The OpenAPI 3 document that describes a kind's objects, for an API entity's definition. */
export function openApiDefinition(api: CatalogApi): string {
  return stringify(
    {
      openapi: '3.0.3',
      info: { title: `${api.kind} (${api.apiVersion})`, version: api.apiVersion.split('/')[1] },
      paths: {},
      components: { schemas: { [api.kind]: api.schema } },
    },
    { lineWidth: 0 },
  );
}

export class PlatformCatalog extends Construct {
  /** The entities of dist/catalog/platform.yaml. */
  public readonly entities: readonly ApiObject[];
  /** The Location of dist/catalog/templates.yaml. */
  public readonly templatesLocation: ApiObject;
  /** The root Location (dist/catalog/all.yaml) that backstage-config/ registers. */
  public readonly root: ApiObject;
  /** The System's TechDocs (mkdocs.yml and docs/, beside the catalog files), by path. */
  public readonly docs: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PlatformCatalogProps) {
    super(scope, id);
    const owner = props.owner ?? 'group:default/platform-team';
    const system = 'platform';
    const entities: ApiObject[] = [];
    const add = (
      kind: string,
      metadata: Record<string, unknown> & { name: string },
      spec: Record<string, unknown>,
    ): void => {
      entities.push(new Entity(this, `${kind}-${metadata.name}`, kind, metadata, spec));
    };

    add(
      'System',
      {
        name: system,
        title: 'Internal developer platform',
        description:
          'Self-service for teams: namespaces and databases by merge request, new services from templates.',
        // Its TechDocs are the mkdocs.yml and docs/ beside this file.
        annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
      },
      { owner },
    );
    const component = (
      name: string,
      title: string,
      description: string,
      type: string,
      version: string,
      extra: Record<string, unknown> = {},
    ): void =>
      add(
        'Component',
        { name, title, description, labels: { 'platform.example.org/version': version } },
        { type, lifecycle: 'production', owner, system, ...extra },
      );
    const provided = (component: string): string[] =>
      props.apis.filter((a) => a.providedBy === component).map((a) => `api:default/${a.name}`);
    component(
      'backstage',
      'Developer portal',
      'Backstage: catalog, software templates, TechDocs, Kubernetes and CI views.',
      'website',
      props.versions.backstage,
      { dependsOn: ['resource:default/portal-database'] },
    );
    component(
      'crossplane',
      'Crossplane',
      'Serves the composite platform APIs (compositions in dist/platform/).',
      'service',
      props.versions.crossplane,
      { providesApis: provided('crossplane') },
    );
    component(
      'kro',
      'Kro',
      'Serves the resource-graph platform APIs (ResourceGraphDefinitions in dist/platform/).',
      'service',
      props.versions.kro,
      { providesApis: provided('kro') },
    );
    component(
      'cloudnative-pg',
      'CloudNativePG',
      "The PostgreSQL operator that runs the portal's database.",
      'service',
      props.versions.cloudnativePg,
    );
    add(
      'Resource',
      {
        name: 'portal-database',
        title: "Portal's PostgreSQL",
        description: 'The CloudNativePG cluster portal-db in the backstage namespace.',
      },
      { type: 'database', owner, system, dependsOn: ['component:default/cloudnative-pg'] },
    );
    for (const api of props.apis) {
      add(
        'API',
        {
          name: api.name,
          title: api.title,
          description: api.description,
          ...(api.template !== undefined
            ? {
                annotations: {
                  'platform.example.org/template': `template:default/${api.template}`,
                },
              }
            : {}),
        },
        {
          type: 'openapi',
          lifecycle: 'production',
          owner,
          system,
          definition: openApiDefinition(api),
        },
      );
    }
    this.entities = entities;
    this.docs = {
      // In the order TechDocs writes it back: its generator rewrites a `dir:` site's mkdocs.yml in
      // place before every build, keys in its allow-list's order (sanitizeMkdocsYml in
      // @backstage/plugin-techdocs-node), and this folder is dist/catalog itself.
      'mkdocs.yml': stringify({
        site_name: 'Internal developer platform',
        nav: [{ Home: 'index.md' }],
        theme: TECHDOCS_THEME,
        plugins: ['techdocs-core'],
      }),
      'docs/index.md': [
        '# Internal developer platform',
        '',
        'Teams request what they need with the software templates of the portal. Each request is a',
        'merge request on the claims repository: its pipeline checks the claim against the platform',
        'API, a maintainer merges it, and the pipeline applies it to the cluster.',
        '',
        '## Platform APIs',
        '',
        '| API | Kind | Requested with |',
        '| --- | --- | --- |',
        ...props.apis.map(
          (a) =>
            `| ${a.title} | \`${a.kind}\` (\`${a.apiVersion}\`) | ${a.template !== undefined ? `the \`${a.template}\` template` : 'a claim'} |`,
        ),
        '',
        '## Templates',
        '',
        ...props.templates.map((t) => `- \`${t}\``),
        '',
      ].join('\n'),
    };

    const location = (name: string, description: string, targets: string[]): ApiObject =>
      new Entity(
        this,
        `Location-${name}`,
        'Location',
        { name, description },
        {
          type: 'file',
          targets,
        },
      );
    this.templatesLocation = location(
      'platform-templates',
      "The platform's software templates",
      props.templates.map((t) => `../templates/${t}/template.yaml`),
    );
    this.root = location('platform', 'The platform: its system, components, APIs and templates', [
      './platform.yaml',
      './templates.yaml',
    ]);
  }
}
