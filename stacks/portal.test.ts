import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildPlatformCharts } from '../charts/platform';
import { claimKinds } from '../charts/claims-repository';
import { parse } from 'yaml';
import { BACKSTAGE_CONFIG_DIR, readConfigLayer } from '../infra/backstage-config';
import { versions } from '../infra/versions';
import { referencedEnv } from '../testing/backstage-config';
import { useDevStack } from '../testing/dev-stack';
import { validateBackstageValues, validateObject } from '../testing/schemas';
import { SECRET_MARKER, type PlanEntry } from './plan';

const stack = useDevStack();
const inputs = (e: PlanEntry): any => e.inputs;
const { byType, one } = stack;

describe('the portal and its database', () => {
  it('runs the portal database on CloudNativePG, protected, with a generated password', () => {
    const cluster = one('kubernetes:postgresql.cnpg.io/v1:Cluster', 'portal-database-cluster');
    expect(cluster).toMatchObject({ protect: true, retainOnDelete: true });
    expect(cluster.dependsOn).toContain('kubernetes:helm.sh/v3:Release::cloudnative-pg-chart');
    expect(validateObject(inputs(cluster))).toEqual([]);
    expect(inputs(cluster).spec).toMatchObject({
      instances: 1,
      imageName: versions.cloudnativePg.postgresImage,
      enableSuperuserAccess: false,
      storage: { size: '5Gi' },
      bootstrap: {
        initdb: {
          database: 'backstage',
          owner: 'backstage',
          secret: { name: 'portal-db-credentials' },
        },
      },
    });
    expect(inputs(cluster).spec.backup).toBeUndefined();
    const secret = one('kubernetes:core/v1:Secret', 'portal-database-credentials');
    expect(secret).toMatchObject({ protect: true, retainOnDelete: true });
    expect(inputs(secret)).toMatchObject({
      type: 'kubernetes.io/basic-auth',
      stringData: SECRET_MARKER,
    });
    const password = one('random:index/randomPassword:RandomPassword', 'portal-database-password');
    expect(password.protect).toBe(true);
    expect(inputs(password)).toMatchObject({ length: 40, special: false });
    const operator = inputs(one('kubernetes:helm.sh/v3:Release', 'cloudnative-pg-chart'));
    expect(operator).toMatchObject({
      chart: 'cloudnative-pg',
      version: versions.cloudnativePg.chart,
      namespace: 'cnpg-system',
    });
  });

  describe('the portal', () => {
    const release = (): any => inputs(one('kubernetes:helm.sh/v3:Release', 'backstage-chart'));

    it('passes values the Backstage chart accepts', () => {
      const r = release();
      expect(r).toMatchObject({
        chart: 'backstage',
        version: versions.backstage.chart,
        namespace: 'backstage',
      });
      expect(validateBackstageValues(r.values)).toEqual([]);
      expect(
        validateBackstageValues({ ...r.values, backstage: { ...r.values.backstage, imagee: {} } }),
      ).not.toEqual([]);
    });

    it('runs the pinned image under the restricted profile with resources and probes', () => {
      const b = release().values.backstage;
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
      const b = release().values.backstage;
      expect(b.installDir).toBe(workdirs[workdirs.length - 1]);
      expect(b.command).toEqual(cmd.slice(0, cmd.indexOf('--config')));
      // The catalog location, relative to the backend's directory, is dist/ in the image.
      expect(dockerfile).toContain('COPY dist/catalog/ dist/catalog/');
      expect(path.posix.join(b.installDir, '../../dist/catalog/all.yaml')).toBe(
        '/app/dist/catalog/all.yaml',
      );
    });

    it('mounts the config layers in order from ConfigMaps: the files of backstage-config/, then the stack layer', () => {
      const layers = release().values.backstage.extraAppConfig;
      expect(layers.map((l: any) => l.filename)).toEqual([
        'app-config.yaml',
        'app-config.production.yaml',
        'app-config.stack.yaml',
      ]);
      const stackLayer = byType('kubernetes:core/v1:ConfigMap').find(
        (e) => inputs(e).metadata.name === layers[2].configMapRef,
      )!;
      // The dev stack has no TechDocs bucket: the portal builds and stores docs on its volume.
      expect(parse(inputs(stackLayer).data['app-config.stack.yaml'])).toEqual({
        techdocs: {
          builder: 'local',
          generator: { runIn: 'local' },
          publisher: { type: 'local', local: { publishDirectory: '/techdocs' } },
        },
        platform: { permissions: { adminGroups: ['group:default/platform-team'] } },
      });
      const volumes = release().values.backstage.extraVolumes;
      expect(volumes).toContainEqual({
        name: 'techdocs',
        persistentVolumeClaim: { claimName: 'portal-techdocs' },
      });
      for (const { filename, configMapRef } of layers.slice(0, 2)) {
        // The chart names a pod volume after the ConfigMap.
        expect(configMapRef).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        const cm = byType('kubernetes:core/v1:ConfigMap').find(
          (e) => inputs(e).metadata.name === configMapRef,
        )!;
        expect(inputs(cm).data[filename]).toBe(
          fs.readFileSync(path.join(BACKSTAGE_CONFIG_DIR, filename), 'utf8'),
        );
      }
    });

    it('provides every ${VAR} of the production layer, credentials only from Secrets', () => {
      const wanted = referencedEnv('app-config.production.yaml');
      const b = release().values.backstage;
      const env = inputs(
        byType('kubernetes:core/v1:ConfigMap').find(
          (e) => inputs(e).metadata.name === b.extraEnvVarsCM[0],
        )!,
      ).data;
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
      ]);
      expect(Object.keys(env).filter((k) => /PASSWORD|TOKEN|SECRET/.test(k))).toEqual([]);
      expect(b.extraEnvVars.filter((e: any) => e.value !== undefined)).toEqual([]);
    });

    it('reads the cluster read-only, exactly the kinds the plugin shows, through its own ServiceAccount', () => {
      const role = inputs(
        one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRole', 'backstage-kubernetes-reader'),
      );
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
      const binding = inputs(
        one(
          'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding',
          'backstage-kubernetes-reader',
        ),
      );
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'backstage', namespace: 'backstage' },
      ]);
      expect(release().values.serviceAccount).toEqual({
        create: true,
        name: 'backstage',
        automountServiceAccountToken: true,
      });
    });

    it('serves over TLS and admits traffic only from the ingress controller', () => {
      expect(release().values.ingress).toEqual({
        enabled: true,
        className: 'nginx',
        host: 'backstage.idp.dev.example.com',
        tls: { enabled: true, secretName: 'backstage-tls' },
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-staging' },
      });
      const policy = inputs(
        one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'backstage-network-policy'),
      );
      expect(validateObject(policy)).toEqual([]);
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
  });
});
