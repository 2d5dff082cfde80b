/**
 * Every upstream version this repository installs or generates manifests for, in one reviewable
 * place. Upgrading a component starts here (see "Upgrading versions" in the README); the tests
 * validate the synthesized manifests against snapshots of the upstream schemas of these versions
 * (upstream/, made by `npm run import` from the releases' files: scripts/upstream/sources.ts).
 *
 * Plain data with no imports, at the root because every layer reads it: constructs/ and charts/
 * (images, function packages), infra/ and stacks/ (charts, provider plugin), and testing/ (the
 * Go engines' releases). Keeping it outside infra/ lets constructs/ stay free of the Pulumi layer.
 */
export const versions = {
  crossplane: {
    /** Helm chart `crossplane` from https://charts.crossplane.io/stable (chart and app version). */
    chart: '2.3.4',
  },
  /** Composition functions, installed as Crossplane `Function` packages. */
  crossplaneFunctions: {
    patchAndTransform: {
      package: 'xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform',
      version: 'v0.10.8',
    },
    autoReady: {
      package: 'xpkg.crossplane.io/crossplane-contrib/function-auto-ready',
      version: 'v0.7.0',
    },
  },
  kro: {
    /**
     * Helm chart from oci://registry.k8s.io/kro/charts/kro (chart and app version); also the Go
     * module github.com/kubernetes-sigs/kro whose graph builder the tests run
     * (testing/control-plane/go.mod, checked against this).
     */
    chart: '0.9.3',
  },
  /** The offline engines the tests build from their Go modules (testing/control-plane/). */
  controlPlane: {
    /**
     * The Kubernetes release of the API types, OpenAPI definitions and admission code:
     * k8s.io/kubernetes v1.x.y and its staging modules at v0.x.y, the release Kro's module
     * depends on.
     */
    kubernetes: '1.35.0',
    /**
     * etcd (go.etcd.io/etcd/server/v3) behind the tests' kube-apiserver: a 3.6 release, which
     * Kubernetes 1.35 supports; the one the module's other programs require at least.
     */
    etcd: '3.6.8',
    /**
     * The Crossplane CLI (github.com/crossplane/cli/v2) for `crossplane composition render`.
     * The module proxy serves no 2.3.x of it (403 "This module version is not available"); 2.5.0
     * has the same render protocol (proto/render/v1alpha1) as the core 2.3.4 binary it drives.
     */
    crossplaneCli: '2.5.0',
    /**
     * The Go module of function-patch-and-transform the tests build: the proxy refuses the
     * pinned v0.10.8 (403 "This module version is not available"); v0.10.7 has the same Go
     * sources (v0.10.8 only bumps go.mod/go.sum for CVE fixes).
     */
    patchAndTransformModule: 'v0.10.7',
  },
  cloudnativePg: {
    /** Helm chart `cloudnative-pg` from https://cloudnative-pg.github.io/charts. */
    chart: '0.29.0',
    operator: '1.30.0',
    /** PostgreSQL image of the portal's database (CloudNativePG operand image, pinned). */
    postgresImage: 'ghcr.io/cloudnative-pg/postgresql:17.7',
  },
  backstage: {
    /** Helm chart `backstage` from https://backstage.github.io/charts. */
    chart: '2.8.2',
    /**
     * The portal image the Dockerfile (backstage-config/backend/Dockerfile) builds: the backend
     * package with the app it serves (backstage-config/app), and dist/ (catalog and templates).
     * See "Portal image" in the README for building and pushing it.
     */
    image: { repository: 'ghcr.io/acme/platform-portal', tag: '0.1.0' },
  },
  gitlabAgent: {
    /**
     * Helm chart `gitlab-agent` from https://charts.gitlab.io: the GitLab agent for Kubernetes
     * (agentk) the claims pipeline deploys through. Keep agentk within the versions your GitLab
     * supports (the same major, at most one minor ahead).
     */
    chart: '2.12.2',
  },
  /** The claims repository's CI pipeline (generators/claims-repository/). */
  claimsPipeline: {
    /** kubectl with a shell, for the jobs that reach the cluster through the GitLab agent. */
    kubectlImage: 'docker.io/alpine/k8s:1.34.2',
  },
  /** The official pulumi-gitlab provider plugin (resource option `version`). */
  pulumiGitlab: '10.1.1',
  /**
   * PostgreSQL images for the Kro database API, one pinned minor release per supported major
   * version. Keys are the values the API accepts for `spec.version`.
   */
  postgresImages: {
    '15': 'docker.io/library/postgres:15.15',
    '16': 'docker.io/library/postgres:16.11',
    '17': 'docker.io/library/postgres:17.7',
    '18': 'docker.io/library/postgres:18.1',
  },
} as const;
