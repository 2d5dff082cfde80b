/**
 * What every component of the stack is given, from the validated configuration: one pure
 * function, so that the unit tests read each component's arguments for any configuration
 * without running the program. The program (index.ts) adds what only resources know: the
 * providers, namespaces, other components' outputs and the order between them. An add-on that is
 * not enabled has no arguments here, and the program declares nothing for it.
 */
import type { GroupResource } from '../constructs/rbac';
import type { BackstageArgs } from '../infra/backstage';
import { orgEntityName, type ConfigLayerFile } from '../infra/backstage-spec';
import type { DatabaseBackup, PortalDatabaseArgs } from '../infra/cloudnative-pg';
import type { GitlabAgentArgs } from '../infra/gitlab-agent';
import type { GitlabSettings } from '../infra/gitlab/gitlab-spec';
import type { ApplicationScope } from '../infra/gitlab/resources';
import type { PlatformConfig } from './config';

/** Inputs of the stack besides its configuration: files and facts of this repository. */
export interface StackInputs {
  /** The platform APIs (charts/platform.ts), whose kinds the portal shows and claims create. */
  readonly apis: {
    readonly teamNamespace: { readonly api: { readonly group: string; readonly plural: string } };
    readonly database: { readonly api: { readonly group: string; readonly plural: string } };
  };
  /** The config layers of backstage-config/ (readConfigLayerFiles). */
  readonly configLayers: readonly ConfigLayerFile[];
  /** The claims repository's generated files (generators/claims-repository/). */
  readonly claimsFiles: Readonly<Record<string, string>>;
  /** The scopes the portal's sign-in requests (backstage-config/, signInScopes). */
  readonly signInScopes: readonly string[];
  /** The scopes the portal's templates ask the user's token for (templateScopes). */
  readonly templateScopes: readonly string[];
}

/** The arguments of every enabled component, as far as configuration decides them. */
export interface ComponentArgs {
  readonly kubernetesProvider: { readonly context?: string; readonly enableServerSideApply: true };
  readonly crossplane?: { readonly chartVersion: string };
  readonly kro?: { readonly chartVersion: string };
  /** Whether the portal's namespace exists: its database, its GitLab Secrets or the portal do. */
  readonly portalNamespace: boolean;
  readonly cloudnativePg?: { readonly chartVersion: string };
  readonly portalDatabase?: Omit<PortalDatabaseArgs, 'provider' | 'namespace' | 'operator'>;
  readonly gitlab?: GitlabSettings;
  readonly gitlabAgent?: Omit<GitlabAgentArgs, 'provider' | 'token' | 'claimsProjectId'>;
  readonly backstage?: Omit<
    BackstageArgs,
    'provider' | 'namespace' | 'database' | 'gitlab' | 'dependsOn'
  > & {
    readonly gitlab: Pick<
      BackstageArgs['gitlab'],
      'url' | 'platformGroup' | 'claimsProject' | 'customersGroup'
    >;
  };
}

/** A value the configuration's rules between keys guarantee when `when` holds. */
function guaranteed<T>(value: T | undefined, key: string, when: string): T {
  if (value === undefined) {
    throw new Error(
      `componentArgs: platform:${key} is unset although ${when}; the configuration rules (stacks/config-rules.ts) require it`,
    );
  }
  return value;
}

/** Every component's arguments for `config`. */
export function componentArgs(config: PlatformConfig, inputs: StackInputs): ComponentArgs {
  const enabled = (addon: PlatformConfig['enabledAddons'][number]): boolean =>
    config.enabledAddons.includes(addon);
  const crossplane = enabled('crossplane');
  const kro = enabled('kro');
  const portalNamespace = (['cloudnativePg', 'backstage', 'gitlab'] as const).some(enabled);
  const gitlab = enabled('gitlab');
  const { teamNamespace, database } = inputs.apis;
  const api = (a: { group: string; plural: string }): GroupResource => ({
    group: a.group,
    resource: a.plural,
  });

  const backup = (): DatabaseBackup => ({
    destinationPath: guaranteed(
      config.databaseBackupDestinationPath,
      'databaseBackupDestinationPath',
      'databaseBackupEnabled is true',
    ),
    credentialsSecret: guaranteed(
      config.databaseBackupCredentialsSecret,
      'databaseBackupCredentialsSecret',
      'databaseBackupEnabled is true',
    ),
    ...(config.databaseBackupEndpointUrl !== undefined
      ? { endpointUrl: config.databaseBackupEndpointUrl }
      : {}),
  });
  const gitlabSettings: GitlabSettings = {
    gitlabUrl: config.gitlabUrl,
    groups: {
      platform: config.gitlabPlatformGroup,
      platformTeam: config.gitlabPlatformTeamGroup,
      customers: config.gitlabCustomersGroup,
    },
    customerGroups: config.gitlabCustomerGroups,
    backstageHost: config.backstageHost,
    claimsProject: config.gitlabClaimsProject,
    claimsFiles: inputs.claimsFiles,
    // Sign-in's scopes plus those templates request for the user's token (new-service: api).
    signInScopes: [
      ...new Set([...inputs.signInScopes, ...inputs.templateScopes]),
    ].sort() as ApplicationScope[],
  };
  // Merged claims reach the cluster through the claims project's GitLab agent, which may create
  // and update the claim kinds of the installed APIs and nothing else.
  const claimResources = [
    ...(crossplane ? [api(teamNamespace.api)] : []),
    ...(kro ? [api(database.api)] : []),
  ];
  // The Kubernetes plugin reads the platform's own kinds of the add-ons that are installed.
  const customResources = [
    ...(crossplane
      ? [
          api(teamNamespace.api),
          { group: 'apiextensions.crossplane.io', resource: 'compositions' },
          { group: 'apiextensions.crossplane.io', resource: 'compositeresourcedefinitions' },
        ]
      : []),
    ...(kro ? [api(database.api), { group: 'kro.run', resource: 'resourcegraphdefinitions' }] : []),
  ];
  const bucket = config.techdocsBucket;

  return {
    kubernetesProvider: {
      ...(config.kubeContext !== undefined ? { context: config.kubeContext } : {}),
      enableServerSideApply: true,
    },
    ...(crossplane ? { crossplane: { chartVersion: config.crossplaneChartVersion } } : {}),
    ...(kro ? { kro: { chartVersion: config.kroChartVersion } } : {}),
    portalNamespace,
    ...(enabled('cloudnativePg')
      ? {
          cloudnativePg: { chartVersion: config.cloudnativePgChartVersion },
          portalDatabase: {
            instances: config.databaseInstances,
            storageSize: config.databaseStorageSize,
            ...(config.storageClassName !== undefined
              ? { storageClassName: config.storageClassName }
              : {}),
            ...(config.databaseBackupEnabled ? { backup: backup() } : {}),
          },
        }
      : {}),
    ...(gitlab
      ? {
          gitlab: gitlabSettings,
          gitlabAgent: {
            chartVersion: config.gitlabAgentChartVersion,
            gitlabUrl: config.gitlabUrl,
            claimResources,
          },
        }
      : {}),
    ...(enabled('backstage') && enabled('cloudnativePg') && gitlab
      ? {
          backstage: {
            chartVersion: config.backstageChartVersion,
            imageRepository: config.backstageImageRepository,
            imageTag: config.backstageImageTag,
            host: config.backstageHost,
            portalTitle: config.portalTitle,
            organizationName: config.organizationName,
            ingressClassName: config.ingressClassName,
            tlsSecretName: config.tlsSecretName,
            configLayers: inputs.configLayers,
            ...(config.tlsClusterIssuer !== undefined
              ? { tlsClusterIssuer: config.tlsClusterIssuer }
              : {}),
            customResources,
            gitlab: {
              url: config.gitlabUrl,
              platformGroup: config.gitlabPlatformGroup,
              claimsProject: config.gitlabClaimsProject,
              customersGroup: config.gitlabCustomersGroup,
            },
            techdocs: {
              ...(bucket !== undefined
                ? {
                    bucket: {
                      name: bucket,
                      region: config.techdocsRegion,
                      ...(config.techdocsEndpoint !== undefined
                        ? { endpoint: config.techdocsEndpoint }
                        : {}),
                      credentialsSecret: guaranteed(
                        config.techdocsCredentialsSecret,
                        'techdocsCredentialsSecret',
                        'techdocsBucket is set',
                      ),
                    },
                  }
                : {}),
              volumeSize: config.techdocsVolumeSize,
            },
            // The platform team's Group, as the GitLab org provider names it.
            adminGroups: [
              `group:default/${orgEntityName(config.gitlabPlatformGroup, config.gitlabPlatformTeamGroup)}`,
            ],
          },
        }
      : {}),
  };
}
