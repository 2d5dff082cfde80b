/**
 * The stack entry point (`main` in Pulumi.yaml): reads and validates the configuration first,
 * then declares every add-on against one explicit Kubernetes provider.
 */
import * as k8s from '@pulumi/kubernetes';
import { App } from 'cdk8s';
import { claimsRepositoryFiles } from '../generators/claims-repository/claims-repository';
import { buildPlatformCharts } from '../charts/platform';
import { PortalChart, templateScopes } from '../generators/portal/portal';
import type { ApplicationScope } from '../infra/gitlab/resources';
import { Backstage } from '../infra/backstage';
import { readConfigLayerFiles, signInScopes } from '../infra/backstage-config';
import { orgEntityName } from '../infra/backstage-spec';
import { GitlabPlatform } from '../infra/gitlab/gitlab';
import { GitlabAgent } from '../infra/gitlab-agent';
import { CloudNativePg, PORTAL_DATABASE, PortalDatabase } from '../infra/cloudnative-pg';
import { Crossplane } from '../infra/crossplane';
import { Kro } from '../infra/kro';
import { restrictedNamespace } from '../infra/addon';
import { PlatformApis, type ChartObjects, type ManifestObject } from '../infra/platform-apis';
import { versions } from '../versions';
import { loadConfig, loadSecrets, type Addon } from './config';

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

// The portal, its database and its GitLab client Secret share one namespace.
const portalNamespace = (['cloudnativePg', 'backstage', 'gitlab'] as const).some(enabled)
  ? restrictedNamespace('portal-namespace', 'backstage', { provider })
  : undefined;
const cnpg = enabled('cloudnativePg')
  ? new CloudNativePg('cloudnative-pg', {
      provider,
      chartVersion: config.cloudnativePgChartVersion,
    })
  : undefined;
const portalDatabase =
  cnpg !== undefined && portalNamespace !== undefined
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

// The platform APIs and the claims repository's files, as `npm run synth` writes them to dist/.
const charts = buildPlatformCharts(new App());

const gitlab =
  enabled('gitlab') && portalNamespace !== undefined
    ? new GitlabPlatform('gitlab', {
        kubernetesProvider: provider,
        gitlabUrl: config.gitlabUrl,
        adminToken: loadSecrets().gitlabAdminToken,
        groups: {
          platform: config.gitlabPlatformGroup,
          platformTeam: config.gitlabPlatformTeamGroup,
          customers: config.gitlabCustomersGroup,
        },
        customerGroups: config.gitlabCustomerGroups,
        backstageHost: config.backstageHost,
        claimsProject: config.gitlabClaimsProject,
        claimsFiles: claimsRepositoryFiles(charts),
        // Sign-in's scopes plus those templates request for the user's token (new-service: api).
        signInScopes: [
          ...new Set([
            ...signInScopes(),
            ...templateScopes(new PortalChart(new App(), 'portal', charts)),
          ]),
        ].sort() as ApplicationScope[],
        portalNamespace: portalNamespace.metadata.name,
      })
    : undefined;

// The same charts `npm run synth` writes to dist/platform/, applied once the controllers whose
// CRDs they use are ready. An API whose controller is not enabled is not applied.
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

// Merged claims reach the cluster through the claims project's GitLab agent, which may create
// and update the claim kinds of the installed APIs and nothing else.
const claimResources = [
  ...(crossplane !== undefined
    ? [{ group: charts.teamNamespace.api.group, resource: charts.teamNamespace.api.plural }]
    : []),
  ...(kro !== undefined
    ? [{ group: charts.database.api.group, resource: charts.database.api.plural }]
    : []),
];
const gitlabAgent =
  gitlab !== undefined
    ? new GitlabAgent('gitlab-agent', {
        provider,
        chartVersion: config.gitlabAgentChartVersion,
        gitlabUrl: config.gitlabUrl,
        token: gitlab.agentToken,
        claimsProjectId: gitlab.claimsProjectId,
        claimResources,
      })
    : undefined;

// The Kubernetes plugin reads the platform's own kinds of the add-ons that are installed.
const customResources = [
  ...(crossplane !== undefined
    ? [
        { group: charts.teamNamespace.api.group, resource: charts.teamNamespace.api.plural },
        { group: 'apiextensions.crossplane.io', resource: 'compositions' },
        { group: 'apiextensions.crossplane.io', resource: 'compositeresourcedefinitions' },
      ]
    : []),
  ...(kro !== undefined
    ? [
        { group: charts.database.api.group, resource: charts.database.api.plural },
        { group: 'kro.run', resource: 'resourcegraphdefinitions' },
      ]
    : []),
];
const backstage =
  enabled('backstage') &&
  portalNamespace !== undefined &&
  portalDatabase !== undefined &&
  gitlab !== undefined
    ? new Backstage('backstage', {
        provider,
        namespace: portalNamespace.metadata.name,
        chartVersion: config.backstageChartVersion,
        imageRepository: config.backstageImageRepository,
        imageTag: config.backstageImageTag,
        host: config.backstageHost,
        ingressClassName: config.ingressClassName,
        tlsSecretName: config.tlsSecretName,
        configLayers: readConfigLayerFiles(),
        ...(config.tlsClusterIssuer !== undefined
          ? { tlsClusterIssuer: config.tlsClusterIssuer }
          : {}),
        database: {
          host: portalDatabase.host,
          secretName: portalDatabase.secretName,
          name: PORTAL_DATABASE.database,
          cluster: PORTAL_DATABASE.cluster,
        },
        customResources,
        gitlab: {
          url: config.gitlabUrl,
          platformGroup: config.gitlabPlatformGroup,
          claimsProject: config.gitlabClaimsProject,
          customersGroup: config.gitlabCustomersGroup,
          oauthSecretName: gitlab.oauthSecretName,
          readTokenSecretName: gitlab.readTokenSecretName,
          scaffolderTokenSecretName: gitlab.scaffolderTokenSecretName,
          tokensCreatedAt: gitlab.tokensCreatedAt,
        },
        techdocs: {
          ...(config.techdocsBucket !== undefined
            ? {
                bucket: {
                  name: config.techdocsBucket,
                  region: config.techdocsRegion,
                  ...(config.techdocsEndpoint !== undefined
                    ? { endpoint: config.techdocsEndpoint }
                    : {}),
                  credentialsSecret: config.techdocsCredentialsSecret!,
                },
              }
            : {}),
          volumeSize: config.techdocsVolumeSize,
        },
        // The platform team's Group, as the GitLab org provider names it.
        adminGroups: [
          `group:default/${orgEntityName(config.gitlabPlatformGroup, config.gitlabPlatformTeamGroup)}`,
        ],
        dependsOn: [portalDatabase, gitlab],
      })
    : undefined;

export const backstageUrl = backstage?.url;
export const databaseHost = portalDatabase?.host;
export const gitlabRedirectUrl = gitlab?.redirectUrl;
export const gitlabGroups = gitlab?.groupPaths;
export const claimsRepository = gitlab?.claimsProjectPath;
export const installedVersions = {
  crossplane: crossplane?.chartVersion,
  kro: kro?.chartVersion,
  cloudnativePg: cnpg?.chartVersion,
  backstage: backstage?.chartVersion,
  gitlabAgent: gitlabAgent?.chartVersion,
  crossplaneFunctions: Object.fromEntries(
    Object.entries(versions.crossplaneFunctions).map(([k, v]) => [k, v.version]),
  ),
};
