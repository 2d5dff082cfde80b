/**
 * The stack entry point (`main` in Pulumi.yaml): reads and validates the configuration first,
 * then declares every add-on against one explicit Kubernetes provider.
 */
import * as k8s from '@pulumi/kubernetes';
import { App } from 'cdk8s';
import { buildPlatformCharts } from '../charts/platform';
import { CloudNativePg, PortalDatabase } from '../infra/cloudnative-pg';
import { Crossplane } from '../infra/crossplane';
import { Kro } from '../infra/kro';
import { restrictedNamespace } from '../infra/namespace';
import { PlatformApis, type ChartObjects, type ManifestObject } from '../infra/platform-apis';
import { versions } from '../infra/versions';
import { loadConfig, type Addon } from './config';

const config = loadConfig();
const enabled = (addon: Addon): boolean => config.enabledAddons.includes(addon);

// The only Kubernetes provider: every component receives it, so nothing falls back to the
// ambient kubeconfig by accident.
const provider = new k8s.Provider('kubernetes', {
  ...(config.kubeContext !== undefined ? { context: config.kubeContext } : {}),
  enableServerSideApply: true,
});

const crossplane = enabled('crossplane')
  ? new Crossplane('crossplane', { provider, chartVersion: config.crossplaneChartVersion })
  : undefined;
const kro = enabled('kro')
  ? new Kro('kro', { provider, chartVersion: config.kroChartVersion })
  : undefined;

// The portal and its database share one namespace.
const portalNamespace = restrictedNamespace('portal-namespace', 'backstage', { provider });
const cnpg = enabled('cloudnativePg')
  ? new CloudNativePg('cloudnative-pg', {
      provider,
      chartVersion: config.cloudnativePgChartVersion,
    })
  : undefined;
const portalDatabase =
  cnpg !== undefined
    ? new PortalDatabase('portal-database', {
        provider,
        namespace: portalNamespace.metadata.name,
        operator: cnpg,
        instances: config.databaseInstances,
        storageSize: config.databaseStorageSize,
        ...(config.storageClassName !== undefined
          ? { storageClassName: config.storageClassName }
          : {}),
        ...(config.databaseBackupEnabled
          ? {
              backup: {
                destinationPath: config.databaseBackupDestinationPath!,
                credentialsSecret: config.databaseBackupCredentialsSecret!,
                ...(config.databaseBackupEndpointUrl !== undefined
                  ? { endpointUrl: config.databaseBackupEndpointUrl }
                  : {}),
              },
            }
          : {}),
      })
    : undefined;

// The same charts `npm run synth` writes to dist/platform/, applied once the controllers whose
// CRDs they use are ready. An API whose controller is not enabled is not applied.
const charts = buildPlatformCharts(new App());
const objects = (chart: { toJson(): unknown[] }): ManifestObject[] =>
  chart.toJson() as ManifestObject[];
const apiCharts: Record<string, ChartObjects> = {};
if (crossplane !== undefined) {
  apiCharts['crossplane-functions'] = {
    objects: objects(charts.functions),
    dependsOn: [crossplane.release],
  };
  apiCharts['team-namespace'] = {
    objects: objects(charts.teamNamespace),
    dependsOn: [crossplane.release],
    // The composition's pipeline calls the Functions.
    after: ['crossplane-functions'],
  };
}
if (kro !== undefined) {
  apiCharts.database = { objects: objects(charts.database), dependsOn: [kro.release] };
}
new PlatformApis('platform-apis', { provider, charts: apiCharts });

export const backstageUrl = `https://${config.backstageHost}`;
export const databaseHost = portalDatabase?.host;
export const installedVersions = {
  crossplane: crossplane?.chartVersion,
  kro: kro?.chartVersion,
  cloudnativePg: cnpg?.chartVersion,
  crossplaneFunctions: Object.fromEntries(
    Object.entries(versions.crossplaneFunctions).map(([k, v]) => [k, v.version]),
  ),
};
