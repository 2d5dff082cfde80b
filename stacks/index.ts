/**
 * The stack entry point (`main` in Pulumi.yaml): reads and validates the configuration first,
 * then declares every enabled add-on against one explicit Kubernetes provider, with the arguments
 * componentArgs computes from the configuration and the outputs of the components before it.
 */
import * as k8s from '@pulumi/kubernetes';
import { App } from 'cdk8s';
import { buildPlatformCharts } from '../charts/platform';
import { claimsRepositoryFiles } from '../generators/claims-repository/claims-repository';
import { PortalChart, templateScopes } from '../generators/portal/portal';
import { restrictedNamespace } from '../infra/addon';
import { Backstage } from '../infra/backstage';
import { readConfigLayerFiles, signInScopes } from '../infra/backstage-config';
import { CloudNativePg, PORTAL_DATABASE, PortalDatabase } from '../infra/cloudnative-pg';
import { Crossplane } from '../infra/crossplane';
import { GitlabAgent } from '../infra/gitlab-agent';
import { GitlabPlatform } from '../infra/gitlab/gitlab';
import { Kro } from '../infra/kro';
import { PlatformApis, type ChartObjects, type ManifestObject } from '../infra/platform-apis';
import { versions } from '../versions';
import { componentArgs } from './component-args';
import { loadConfig, loadSecrets } from './config';

const config = loadConfig();
// The platform APIs and the claims repository's files, as `npm run synth` writes them to dist/.
const charts = buildPlatformCharts(new App());
const args = componentArgs(config, {
  apis: charts,
  configLayers: readConfigLayerFiles(),
  claimsFiles: claimsRepositoryFiles(charts),
  signInScopes: signInScopes(),
  templateScopes: templateScopes(new PortalChart(new App(), 'portal', charts)),
});

// The only Kubernetes provider: every component receives it, so nothing falls back to the
// ambient kubeconfig by accident.
const provider = new k8s.Provider('kubernetes', args.kubernetesProvider);

const crossplane =
  args.crossplane !== undefined
    ? new Crossplane('crossplane', { provider, ...args.crossplane })
    : undefined;
const kro = args.kro !== undefined ? new Kro('kro', { provider, ...args.kro }) : undefined;

// The portal, its database and its GitLab client Secret share one namespace.
const portalNamespace = args.portalNamespace
  ? restrictedNamespace('portal-namespace', 'backstage', { provider })
  : undefined;
const cnpg =
  args.cloudnativePg !== undefined
    ? new CloudNativePg('cloudnative-pg', { provider, ...args.cloudnativePg })
    : undefined;
const portalDatabase =
  cnpg !== undefined && portalNamespace !== undefined && args.portalDatabase !== undefined
    ? new PortalDatabase('portal-database', {
        provider,
        namespace: portalNamespace.metadata.name,
        operator: cnpg,
        ...args.portalDatabase,
      })
    : undefined;

const gitlab =
  args.gitlab !== undefined && portalNamespace !== undefined
    ? new GitlabPlatform('gitlab', {
        kubernetesProvider: provider,
        adminToken: loadSecrets().gitlabAdminToken,
        portalNamespace: portalNamespace.metadata.name,
        ...args.gitlab,
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

const gitlabAgent =
  gitlab !== undefined && args.gitlabAgent !== undefined
    ? new GitlabAgent('gitlab-agent', {
        provider,
        token: gitlab.agentToken,
        claimsProjectId: gitlab.claimsProjectId,
        ...args.gitlabAgent,
      })
    : undefined;

const backstage =
  args.backstage !== undefined &&
  portalNamespace !== undefined &&
  portalDatabase !== undefined &&
  gitlab !== undefined
    ? new Backstage('backstage', {
        provider,
        namespace: portalNamespace.metadata.name,
        ...args.backstage,
        database: {
          host: portalDatabase.host,
          secretName: portalDatabase.secretName,
          name: PORTAL_DATABASE.database,
          cluster: PORTAL_DATABASE.cluster,
        },
        gitlab: {
          ...args.backstage.gitlab,
          oauthSecretName: gitlab.oauthSecretName,
          readTokenSecretName: gitlab.readTokenSecretName,
          scaffolderTokenSecretName: gitlab.scaffolderTokenSecretName,
          webhookSecretName: gitlab.webhookSecretName,
          tokensCreatedAt: gitlab.tokensCreatedAt,
        },
        // The Secrets it reads, not the GitLab component: that would be every group and member.
        dependsOn: [portalDatabase, ...gitlab.portalSecrets],
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
