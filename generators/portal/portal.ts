/**
 * The portal's side of dist/: the software templates (each `template.yaml` with its skeleton)
 * and the platform's catalog, built from the same platform APIs as dist/platform/. These are
 * Backstage entities and files, not Kubernetes objects: cdk8s constructs build them (a Chart
 * holds them, in an app of its own), and portalFiles writes them as Backstage reads them.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { PlatformCatalog } from '../../constructs/catalog/platform-catalog';
import { versions } from '../../versions';
import { PlatformTemplates } from '../../constructs/templates/platform-templates';
import type { SoftwareTemplate } from '../../constructs/templates/template';
import type { PlatformApis } from '../platform-apis';

/** Where templates are synthesized, relative to dist/. */
export const TEMPLATES_DIR = 'templates';
/** Where the platform's catalog is synthesized, relative to dist/. */
export const CATALOG_DIR = 'catalog';
/** The folders of dist/ the portal's files fill. */
export const PORTAL_DIRS = [TEMPLATES_DIR, CATALOG_DIR] as const;

export class PortalChart extends Chart {
  public readonly templates: PlatformTemplates;
  public readonly catalog: PlatformCatalog;

  constructor(scope: Construct, id: string, apis: PlatformApis) {
    super(scope, id, { disableResourceNameHashes: true });
    const { teamNamespace, database } = apis;
    this.templates = new PlatformTemplates(this, 'Templates', {
      teamNamespace: {
        apiVersion: teamNamespace.api.apiVersion,
        kind: teamNamespace.api.kind,
        plural: teamNamespace.api.plural,
        namespaced: false,
        specSchema: teamNamespace.api.specSchema,
        maxNameLength: teamNamespace.api.maxNameLength,
        namePattern: teamNamespace.api.namePattern,
      },
      database: {
        apiVersion: database.api.apiVersion,
        kind: database.api.kind,
        plural: database.api.plural,
        namespaced: true,
        specSchema: database.api.specSchema,
        maxNameLength: database.api.maxNameLength,
        namePattern: database.api.namePattern,
      },
    });
    this.catalog = new PlatformCatalog(this, 'Catalog', {
      apis: [
        {
          name: 'team-namespace',
          title: `${teamNamespace.api.kind} API`,
          description:
            'Namespaces for teams, served by Crossplane (XRD and composition in dist/platform/).',
          apiVersion: teamNamespace.api.apiVersion,
          kind: teamNamespace.api.kind,
          schema: teamNamespace.api.schema,
          providedBy: 'crossplane',
          template: this.templates.teamNamespace.name,
        },
        {
          name: 'postgres-database',
          title: `${database.api.kind} API`,
          description:
            'PostgreSQL databases in team namespaces, served by Kro (RGD in dist/platform/).',
          apiVersion: database.api.apiVersion,
          kind: database.api.kind,
          schema: {
            type: 'object',
            properties: { spec: database.api.specSchema },
          },
          providedBy: 'kro',
          template: this.templates.database.name,
        },
      ],
      templates: this.templates.all.map((t) => t.name),
      versions: {
        crossplane: versions.crossplane.chart,
        kro: versions.kro.chart,
        cloudnativePg: versions.cloudnativePg.operator,
        backstage: versions.backstage.chart,
      },
    });
  }
}

const yamlDocument = (value: unknown): string => stringify(value, { lineWidth: 0 });

/** A template's files in dist/, by path relative to dist/. */
export function templateFiles(template: SoftwareTemplate): Record<string, string> {
  const dir = `${TEMPLATES_DIR}/${template.name}`;
  const files: Record<string, string> = {
    [`${dir}/template.yaml`]: yamlDocument(template.entity.toJson()),
  };
  for (const [file, content] of Object.entries(template.skeleton)) {
    files[`${dir}/skeleton/${file}`] = content;
  }
  return files;
}

const documents = (objects: readonly { toJson(): unknown }[]): string =>
  objects.map((o) => yamlDocument(o.toJson())).join('---\n');

/** Every file of the portal's part of dist/, by path relative to dist/. */
export function portalFiles(portal: PortalChart): Record<string, string> {
  const { catalog } = portal;
  return Object.assign(
    {
      [`${CATALOG_DIR}/all.yaml`]: documents([catalog.root]),
      [`${CATALOG_DIR}/platform.yaml`]: documents(catalog.entities),
      [`${CATALOG_DIR}/templates.yaml`]: documents([catalog.templatesLocation]),
      ...Object.fromEntries(
        Object.entries(catalog.docs).map(([file, content]) => [`${CATALOG_DIR}/${file}`, content]),
      ),
    },
    ...portal.templates.all.map(templateFiles),
  ) as Record<string, string>;
}

/** The GitLab scopes the templates ask the user's sign-in for (the OAuth app must allow them). */
export function templateScopes(portal: PortalChart): string[] {
  return [...new Set(portal.templates.all.flatMap((t) => t.requestedScopes))].sort();
}
