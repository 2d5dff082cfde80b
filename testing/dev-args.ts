/**
 * The dev stack's components as the pure layer computes them, for the unit tests of
 * infra/*-spec.ts and backstage-values.ts: the arguments componentArgs gives each component for
 * Pulumi.dev.yaml, and what Backstage and GitlabPlatform declare from them. The names of
 * resources other components declare are filled in as the program fills them (the database's
 * host and Secret, the GitLab Secrets); the whole-program test (stacks/index.test.ts)
 * checks that wiring.
 */
import * as path from 'node:path';
import type * as k8s from '@pulumi/kubernetes';
import { App } from 'cdk8s';
import { buildPlatformCharts } from '../charts/platform';
import { claimsRepositoryFiles } from '../generators/claims-repository/claims-repository';
import { PortalChart, templateScopes } from '../generators/portal/portal';
import type { BackstageArgs } from '../infra/backstage';
import { readConfigLayerFiles, signInScopes } from '../infra/backstage-config';
import {
  configLayerConfigMap,
  configLayerFiles,
  configMapName,
  EXTERNAL_ACCESS_SECRET,
  externalAccessSecret,
  portalEnvConfigMap,
  techdocsVolumeClaim,
  type ConfigLayerFile,
} from '../infra/backstage-spec';
import {
  kubernetesReaderBinding,
  kubernetesReaderRole,
  KUBERNETES_READER,
  portalNetworkPolicy,
} from '../infra/backstage-policy';
import { backstageValues } from '../infra/backstage-values';
import { type GitlabSettings } from '../infra/gitlab/gitlab-spec';
import {
  OAUTH_SECRET,
  READ_TOKEN_SECRET,
  SCAFFOLDER_TOKEN_SECRET,
  WEBHOOK_SECRET,
} from '../infra/gitlab/portal-access';
import { componentArgs, type ComponentArgs } from '../stacks/component-args';
import { parseStackConfig } from '../stacks/config';
import { planConfig } from './plan';

export const DEV_STACK_FILE = path.resolve(__dirname, '..', 'Pulumi.dev.yaml');
/** The portal's namespace, as the program creates it. */
export const PORTAL_NAMESPACE = 'backstage';

/** componentArgs for a stack file (the dev stack by default), with this repository's inputs. */
export function stackArgs(file: string = DEV_STACK_FILE): ComponentArgs {
  const charts = buildPlatformCharts(new App());
  return componentArgs(parseStackConfig(planConfig(file)), {
    apis: charts,
    configLayers: readConfigLayerFiles(),
    claimsFiles: claimsRepositoryFiles(charts),
    signInScopes: signInScopes(),
    templateScopes: templateScopes(new PortalChart(new App(), 'portal', charts)),
  });
}

/** The dev stack's GitLab settings. */
export function devGitlab(): GitlabSettings {
  const gitlab = stackArgs().gitlab;
  if (gitlab === undefined) {
    throw new Error('Pulumi.dev.yaml: the dev stack has no gitlab add-on');
  }
  return gitlab;
}

/** Everything Backstage declares, as the component computes it. */
export interface PortalSpec {
  /** The component's arguments, with the other components' outputs filled in. */
  readonly args: BackstageArgsWithoutResources;
  readonly layers: readonly {
    readonly layer: ConfigLayerFile;
    readonly configMap: k8s.core.v1.ConfigMapArgs;
  }[];
  readonly env: k8s.core.v1.ConfigMapArgs;
  readonly externalAccessSecret: k8s.core.v1.SecretArgs;
  readonly techdocsClaim: k8s.core.v1.PersistentVolumeClaimArgs | undefined;
  readonly role: k8s.rbac.v1.ClusterRoleArgs;
  readonly binding: k8s.rbac.v1.ClusterRoleBindingArgs;
  readonly values: Record<string, unknown>;
  readonly networkPolicy: k8s.networking.v1.NetworkPolicyArgs;
}

type BackstageArgsWithoutResources = Omit<BackstageArgs, 'provider' | 'dependsOn'>;

/** Everything Backstage declares for a stack, named as the component names it. */
export function portalSpec(args: ComponentArgs = stackArgs()): PortalSpec {
  const settings = args.backstage;
  if (settings === undefined) {
    throw new Error('the stack has no backstage add-on');
  }
  const backstage: BackstageArgsWithoutResources = {
    ...settings,
    namespace: PORTAL_NAMESPACE,
    // What PortalDatabase and GitlabPlatform give the portal (the program passes their outputs).
    database: {
      host: 'portal-db-rw.backstage.svc',
      secretName: 'portal-db-credentials',
      name: 'backstage',
      cluster: 'portal-db',
    },
    gitlab: {
      ...settings.gitlab,
      oauthSecretName: OAUTH_SECRET.name,
      readTokenSecretName: READ_TOKEN_SECRET.name,
      scaffolderTokenSecretName: SCAFFOLDER_TOKEN_SECRET.name,
      webhookSecretName: WEBHOOK_SECRET.name,
      tokensCreatedAt: '2026-01-01T00:00:00Z 2026-01-01T00:00:00Z',
    },
  };
  const layers = configLayerFiles(backstage).map((layer) => ({
    layer,
    configMap: configLayerConfigMap(layer, PORTAL_NAMESPACE),
  }));
  const techdocsClaim = techdocsVolumeClaim(PORTAL_NAMESPACE, backstage.techdocs);
  const role = kubernetesReaderRole(backstage.customResources);
  return {
    args: backstage,
    layers,
    env: portalEnvConfigMap(backstage),
    externalAccessSecret: externalAccessSecret(PORTAL_NAMESPACE, 'external-access-token'),
    techdocsClaim,
    role,
    binding: kubernetesReaderBinding(KUBERNETES_READER, PORTAL_NAMESPACE),
    values: backstageValues(
      { ...backstage, databaseSecretName: backstage.database.secretName },
      {
        layers: layers.map((l) => ({ file: l.layer.file, configMap: configMapName(l.layer.file) })),
        envConfigMap: 'portal-env',
        externalAccessSecret: EXTERNAL_ACCESS_SECRET.name,
        ...(techdocsClaim !== undefined ? { techdocsClaim: 'portal-techdocs' } : {}),
      },
    ),
    networkPolicy: portalNetworkPolicy({
      namespace: PORTAL_NAMESPACE,
      databaseCluster: backstage.database.cluster,
      ...(backstage.ingressNamespace !== undefined
        ? { ingressNamespace: backstage.ingressNamespace }
        : {}),
    }),
  };
}
