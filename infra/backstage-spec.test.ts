/**
 * What the portal's component declares for the dev stack (and for a stack with a TechDocs
 * bucket), computed by the pure layer (backstage-spec.ts, backstage-values.ts) without running
 * the program. That the component declares these, with these names and in this order, is tested
 * on the whole program in stacks/index.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPlatformCharts } from '../charts/platform';
import { claimKinds } from '../generators/claims-repository/claims-repository';
import { referencedEnv } from '../testing/backstage-config';
import { PORTAL_NAMESPACE, portalSpec, stackArgs } from '../testing/dev-args';
import { validateBackstageValues, validateObject } from '../testing/schemas';
import { BACKSTAGE_CONFIG_DIR, readConfigLayer } from './backstage-config';
import { configMapName } from './backstage-spec';

const spec = portalSpec();
const b = (spec.values as any).backstage;
const data = (cm: { data?: unknown }): Record<string, string> => cm.data as Record<string, string>;

describe('the portal', () => {
  it('passes values the Backstage chart accepts', () => {
    expect(validateBackstageValues(spec.values)).toEqual([]);
    expect(
      validateBackstageValues({ ...spec.values, backstage: { ...b, imagee: {} } }),
    ).not.toEqual([]);
  });

  it('runs the pinned image under the restricted profile with resources and probes', () => {
    expect(b.image).toEqual({
      registry: 'ghcr.io',
      repository: 'acme/platform-portal',
      tag: '0.1.0',
      pullPolicy: 'IfNotPresent',
    });
    // The image's `USER 1000:1000` (backstage-config/backend/Dockerfile), by number.
    expect(b.podSecurityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(b.containerSecurityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(b.resources.requests).toBeDefined();
    expect(b.resources.limits).toBeDefined();
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(b[probe].httpGet.path, probe).toMatch(/^\/\.backstage\/health\/v1\//);
    }
  });

  it('starts the backend the way the portal image is built to run', () => {
    const dockerfile = fs.readFileSync('backstage-config/backend/Dockerfile', 'utf8');
    const workdirs = [...dockerfile.matchAll(/^WORKDIR (.+)$/gm)].map((m) => m[1]);
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]) as string[];
    expect(b.installDir).toBe(workdirs[workdirs.length - 1]);
    expect(b.command).toEqual(cmd.slice(0, cmd.indexOf('--config')));
    // The catalog location, relative to the backend's directory, is dist/ in the image.
    expect(dockerfile).toContain('COPY dist/catalog/ dist/catalog/');
    expect(path.posix.join(b.installDir, '../../dist/catalog/all.yaml')).toBe(
      '/app/dist/catalog/all.yaml',
    );
  });

  it("builds the platform's docs in a writable copy of the image's catalog folder", () => {
    // TechDocs rewrites the site's mkdocs.yml in the folder before each build; the image's
    // /app/dist/catalog is on the read-only root file system.
    const catalogDir = path.posix.join(b.installDir, '../../dist/catalog');
    const [copy, ...others] = b.initContainers;
    expect(others).toEqual([]);
    expect(copy.image).toBe(`ghcr.io/acme/platform-portal:0.1.0`);
    expect(copy.command).toEqual(['cp', '-R', `${catalogDir}/.`, '/catalog-copy/']);
    expect(copy.volumeMounts).toEqual([{ name: 'catalog', mountPath: '/catalog-copy' }]);
    // The same user as the backend, so that the backend may write the copied files.
    expect(copy.securityContext).toEqual(b.containerSecurityContext);
    expect(copy.resources.requests).toBeDefined();
    expect(copy.resources.limits).toBeDefined();
    expect(b.extraVolumes).toContainEqual({ name: 'catalog', emptyDir: { sizeLimit: '64Mi' } });
    expect(b.extraVolumeMounts).toContainEqual({ name: 'catalog', mountPath: catalogDir });
    // The folder TechDocs builds in is the one the platform System's `dir:.` names.
    const system = parse(fs.readFileSync('dist/catalog/platform.yaml', 'utf8').split('\n---\n')[0]);
    expect(system.kind).toBe('System');
    expect(system.metadata.annotations['backstage.io/techdocs-ref']).toBe('dir:.');
    expect(fs.existsSync('dist/catalog/mkdocs.yml')).toBe(true);
  });

  it('mounts the config layers in order from ConfigMaps: the files of backstage-config/, then the stack layer', () => {
    const layers = b.extraAppConfig;
    expect(layers.map((l: any) => l.filename)).toEqual([
      'app-config.yaml',
      'app-config.production.yaml',
      'app-config.stack.yaml',
    ]);
    const configMap = (name: string) =>
      spec.layers.find((l) => (l.configMap.metadata as any).name === name)!.configMap;
    // The dev stack has no TechDocs bucket: the portal builds and stores docs on its volume.
    expect(parse(data(configMap(layers[2].configMapRef))['app-config.stack.yaml'])).toEqual({
      // The stack's portalTitle and organizationName (their defaults: Pulumi.dev.yaml sets neither).
      app: { title: 'Developer portal' },
      organization: { name: 'Platform' },
      techdocs: {
        builder: 'local',
        generator: { runIn: 'local' },
        publisher: { type: 'local', local: { publishDirectory: '/techdocs' } },
      },
      platform: { permissions: { adminGroups: ['group:default/platform-team'] } },
    });
    expect(b.extraVolumes).toContainEqual({
      name: 'techdocs',
      persistentVolumeClaim: { claimName: 'portal-techdocs' },
    });
    expect((spec.techdocsClaim!.metadata as any).name).toBe('portal-techdocs');
    for (const { filename, configMapRef } of layers.slice(0, 2)) {
      // The chart names a pod volume after the ConfigMap.
      expect(configMapRef).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(data(configMap(configMapRef))[filename]).toBe(
        fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, filename), 'utf8'),
      );
    }
    expect(configMapName('app-config.yaml')).toBe('portal-app-config-base');
    expect(configMapName('app-config.production.yaml')).toBe('portal-app-config-production');
  });

  it('provides every ${VAR} of the production layer, credentials only from Secrets', () => {
    const wanted = referencedEnv('app-config.production.yaml');
    expect(b.extraEnvVarsCM).toEqual([(spec.env.metadata as any).name]);
    const env = data(spec.env);
    const fromSecrets = b.extraEnvVars
      .filter((e: any) => e.valueFrom?.secretKeyRef)
      .map((e: any) => e.name);
    expect([...Object.keys(env), ...fromSecrets].sort()).toEqual(wanted);
    expect(fromSecrets).toEqual([
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
      'AUTH_GITLAB_CLIENT_ID',
      'AUTH_GITLAB_CLIENT_SECRET',
      'GITLAB_TOKEN',
      'BACKEND_EXTERNAL_ACCESS_TOKEN',
      'GITLAB_SCAFFOLDER_TOKEN',
      'GITLAB_WEBHOOK_SECRET',
    ]);
    expect(Object.keys(env).filter((k) => /PASSWORD|TOKEN|SECRET/.test(k))).toEqual([]);
    expect(b.extraEnvVars.filter((e: any) => e.value !== undefined)).toEqual([]);
    expect(env.BACKSTAGE_BASE_URL).toBe('https://backstage.idp.dev.example.com');
  });

  it('reads the cluster read-only, exactly the kinds the plugin shows, through its own ServiceAccount', () => {
    const role = spec.role as any;
    const granted = role.rules
      .flatMap((r: any) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`))
      .sort();
    expect(granted).toEqual(
      [
        '/configmaps',
        '/limitranges',
        '/pods',
        '/resourcequotas',
        '/services',
        'apiextensions.crossplane.io/compositeresourcedefinitions',
        'apiextensions.crossplane.io/compositions',
        'apps/daemonsets',
        'apps/deployments',
        'apps/replicasets',
        'apps/statefulsets',
        'autoscaling/horizontalpodautoscalers',
        'batch/cronjobs',
        'batch/jobs',
        'kro.run/resourcegraphdefinitions',
        'networking.k8s.io/ingresses',
        'platform.example.org/postgresdatabases',
        'platform.example.org/teamnamespaces',
      ].sort(),
    );
    // The custom resources the production layer shows are exactly the namespaced kinds the
    // stack applies (the plugin looks kinds up in the entity's namespace), and the role can
    // read them.
    const production = readConfigLayer('app-config.production.yaml') as any;
    const [cluster] = production.kubernetes.clusterLocatorMethods[0].clusters;
    const charts = buildPlatformCharts(new App());
    const namespaced = claimKinds(charts)
      .filter((k) => k.namespaced)
      .map((k) => `${k.apiVersion}/${k.plural}`);
    expect(namespaced).toEqual(['platform.example.org/v1alpha1/postgresdatabases']);
    expect(
      cluster.customResources.map(
        (cr: { group: string; apiVersion: string; plural: string }) =>
          `${cr.group}/${cr.apiVersion}/${cr.plural}`,
      ),
    ).toEqual(namespaced);
    for (const cr of cluster.customResources) {
      expect(granted, cr.plural).toContain(`${cr.group}/${cr.plural}`);
    }
    for (const rule of role.rules) {
      expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    }
    expect(JSON.stringify(role)).not.toMatch(/"\*"|secrets/);
    expect((spec.binding as any).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'backstage', namespace: 'backstage' },
    ]);
    expect((spec.binding as any).roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role.metadata.name,
    });
    expect((spec.values as any).serviceAccount).toEqual({
      create: true,
      name: 'backstage',
      automountServiceAccountToken: true,
    });
  });

  it('serves over TLS and admits traffic only from the ingress controller', () => {
    expect((spec.values as any).ingress).toEqual({
      enabled: true,
      className: 'nginx',
      host: 'backstage.idp.dev.example.com',
      tls: { enabled: true, secretName: 'backstage-tls' },
      annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-staging' },
    });
    const policy = spec.networkPolicy as any;
    expect(
      validateObject({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...policy }),
    ).toEqual([]);
    expect(policy.metadata.namespace).toBe(PORTAL_NAMESPACE);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 7007 }],
      },
    ]);
    expect(policy.spec.egress[1].to[0].podSelector.matchLabels).toEqual({
      'cnpg.io/cluster': 'portal-db',
    });
  });

  it('restarts with rotated GitLab tokens: their creation times are its only pod annotation', () => {
    expect(Object.keys(b.podAnnotations)).toEqual([
      'platform.example.org/gitlab-tokens-created-at',
    ]);
    expect(b.podAnnotations['platform.example.org/gitlab-tokens-created-at']).toBe(
      spec.args.gitlab.tokensCreatedAt,
    );
  });

  it('with a TechDocs bucket: CI publishes there, with the credentials from their Secret, and no volume', () => {
    const dev = stackArgs();
    const bucket = {
      name: 'acme-techdocs',
      region: 'eu-west-1',
      endpoint: 'https://minio.example.com',
      credentialsSecret: 'techdocs-s3',
    };
    const s3 = portalSpec({
      ...dev,
      backstage: { ...dev.backstage!, techdocs: { bucket, volumeSize: '5Gi' } },
    });
    const values = (s3.values as any).backstage;
    expect(validateBackstageValues(s3.values)).toEqual([]);
    expect(s3.techdocsClaim).toBeUndefined();
    expect(values.extraVolumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
    expect(values.extraVolumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    // Nothing builds docs in the portal: the image's catalog folder stays as it is.
    expect(values.initContainers).toBeUndefined();
    expect(values.extraEnvVars.filter((e: any) => e.name.startsWith('TECHDOCS_'))).toEqual([
      {
        name: 'TECHDOCS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'techdocs-s3', key: 'TECHDOCS_ACCESS_KEY_ID' } },
      },
      {
        name: 'TECHDOCS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'techdocs-s3', key: 'TECHDOCS_SECRET_ACCESS_KEY' } },
      },
    ]);
    const stackLayer = s3.layers[2];
    expect(stackLayer.layer.content.split('\n')[0]).toBe(
      '# Generated by the stack (infra/backstage.ts).',
    );
    expect(parse(stackLayer.layer.content).techdocs).toEqual({
      builder: 'external',
      publisher: {
        type: 'awsS3',
        awsS3: {
          bucketName: 'acme-techdocs',
          region: 'eu-west-1',
          endpoint: 'https://minio.example.com',
          s3ForcePathStyle: true,
          credentials: {
            accessKeyId: '${TECHDOCS_ACCESS_KEY_ID}',
            secretAccessKey: '${TECHDOCS_SECRET_ACCESS_KEY}',
          },
        },
      },
    });
  });
});
