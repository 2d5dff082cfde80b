/**
 * The upstream files this repository generates code and schema snapshots from, each at the
 * version versions.ts pins (the one place for versions). `npm run import` reads them from
 * a folder (`--from DIR`, files named as `fromFile`) or from the release URLs the versions
 * determine: `https://raw.githubusercontent.com/<project>/<tag>/<path>`, the file at the tag of
 * the release in the project's repository.
 */
import { versions } from '../../versions';

export type SnapshotKind = 'crd' | 'json-schema' | 'pulumi-schema';

export interface UpstreamSource {
  /** Repository on GitHub, `owner/name`. */
  readonly project: string;
  /** The git tag of the pinned release. */
  readonly tag: string;
  /** The file's path in the repository at that tag. */
  readonly path: string;
  /** The file's name in a `--from` folder (the layout of the folder the files were copied to). */
  readonly fromFile: string;
  readonly kind: SnapshotKind;
  /** The snapshot's path in the repository. */
  readonly snapshot: string;
  /** The module name `cdk8s import` generates typed classes under in constructs/imports/. */
  readonly cdk8sImport?: string;
}

/** The folder of the snapshots, relative to the repository root. */
export const SNAPSHOT_DIR = 'upstream';
/** Where `cdk8s import` writes the typed classes, relative to the repository root. */
export const IMPORT_DIR = 'constructs/imports';

const crossplane = `v${versions.crossplane.chart}`;
const crossplaneCrd = (file: string, cdk8sImport?: string): UpstreamSource => ({
  project: 'crossplane/crossplane',
  tag: crossplane,
  path: `cluster/crds/${file}`,
  fromFile: `crossplane/${file}`,
  kind: 'crd',
  snapshot: `${SNAPSHOT_DIR}/crossplane/${file}`,
  ...(cdk8sImport !== undefined ? { cdk8sImport } : {}),
});

export const UPSTREAM_SOURCES: readonly UpstreamSource[] = [
  crossplaneCrd('apiextensions.crossplane.io_compositeresourcedefinitions.yaml', 'crossplane-xrd'),
  crossplaneCrd('apiextensions.crossplane.io_compositions.yaml', 'crossplane-composition'),
  crossplaneCrd('pkg.crossplane.io_functions.yaml', 'crossplane-function'),
  crossplaneCrd('pkg.crossplane.io_deploymentruntimeconfigs.yaml'),
  {
    project: 'crossplane-contrib/function-patch-and-transform',
    tag: versions.crossplaneFunctions.patchAndTransform.version,
    path: 'package/input/pt.fn.crossplane.io_resources.yaml',
    fromFile: 'crossplane/pt.fn.crossplane.io_resources.yaml',
    kind: 'crd',
    snapshot: `${SNAPSHOT_DIR}/function-patch-and-transform/pt.fn.crossplane.io_resources.yaml`,
    cdk8sImport: 'crossplane-pt',
  },
  {
    project: 'kubernetes-sigs/kro',
    tag: `v${versions.kro.chart}`,
    path: 'helm/crds/kro.run_resourcegraphdefinitions.yaml',
    fromFile: 'kro.run_resourcegraphdefinitions.yaml',
    kind: 'crd',
    snapshot: `${SNAPSHOT_DIR}/kro/kro.run_resourcegraphdefinitions.yaml`,
    cdk8sImport: 'kro',
  },
  {
    project: 'cloudnative-pg/cloudnative-pg',
    tag: `v${versions.cloudnativePg.operator}`,
    path: 'config/crd/bases/postgresql.cnpg.io_clusters.yaml',
    fromFile: 'postgresql.cnpg.io_clusters.yaml',
    kind: 'crd',
    snapshot: `${SNAPSHOT_DIR}/cloudnative-pg/postgresql.cnpg.io_clusters.yaml`,
  },
  {
    project: 'backstage/charts',
    tag: `backstage-${versions.backstage.chart}`,
    path: 'charts/backstage/values.schema.json',
    fromFile: 'backstage-chart.values.schema.json',
    kind: 'json-schema',
    snapshot: `${SNAPSHOT_DIR}/backstage-chart/values.schema.yaml`,
  },
  {
    project: 'pulumi/pulumi-gitlab',
    tag: `v${versions.pulumiGitlab}`,
    path: 'provider/cmd/pulumi-resource-gitlab/schema.json',
    fromFile: 'pulumi-gitlab.schema.json',
    kind: 'pulumi-schema',
    snapshot: `${SNAPSHOT_DIR}/pulumi-gitlab/schema.yaml`,
  },
];

/** The release URL of an upstream file. */
export function upstreamUrl(source: UpstreamSource): string {
  return `https://raw.githubusercontent.com/${source.project}/${source.tag}/${source.path}`;
}

/** The source a snapshot was generated from, by the snapshot's path. */
export function sourceOf(snapshot: string): UpstreamSource {
  const source = UPSTREAM_SOURCES.find((s) => s.snapshot === snapshot);
  if (source === undefined) throw new Error(`no upstream source for ${snapshot}`);
  return source;
}
