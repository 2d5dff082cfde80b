import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import {
  Composition,
  CompositionSpecMode,
} from '../imports/crossplane-composition-apiextensions.crossplane.io';
import type { ResourcesProps } from '../imports/crossplane-pt-pt.fn.crossplane.io';
import {
  CompositeResourceDefinitionV2,
  CompositeResourceDefinitionV2SpecScope,
} from '../imports/crossplane-xrd-apiextensions.crossplane.io';
import { DNS1123_LABEL_MAX_LENGTH, isDnsLabel, isDnsSubdomain } from '../names';
import { TEAM_NAMESPACE_PATTERN } from '../namespaces';
import { MANAGE_VERBS, rulesFor, type TypeRef } from '../rbac';
import { PropsChecker } from '../validation';
import { teamNamespaceKeys, teamNamespaceResources } from './composition';
import { DeletionProtection } from './deletion-protection';
import type { OpenApiSchema } from '../openapi';
import { teamNamespaceSchema } from './schema';
import {
  DEFAULT_NAMESPACE_SIZES,
  type ContainerDefaults,
  type NamespaceSize,
  type QuotaLimits,
} from './sizes';

export interface TeamNamespaceApiProps {
  /**
   * API group of the TeamNamespace kind; also prefixes the labels the composition sets.
   * @default 'platform.example.org'
   */
  readonly group?: string;
  /**
   * Version of the TeamNamespace kind.
   * @default 'v1alpha1'
   */
  readonly version?: string;
  /**
   * The sizes teams choose from.
   * @default DEFAULT_NAMESPACE_SIZES (small, medium, large)
   */
  readonly sizes?: Readonly<Record<string, NamespaceSize>>;
  /**
   * The size of a TeamNamespace that names none.
   * @default 'small'
   */
  readonly defaultSize?: string;
  /**
   * Prefix the API server adds to OIDC group claims (its `--oidc-groups-prefix`, or the
   * `claimMappings.groups.prefix` of its authentication config). RoleBinding subjects are this
   * prefix followed by the GitLab group path.
   * @default 'oidc:'
   */
  readonly oidcGroupPrefix?: string;
  /**
   * ClusterRole the owning group is bound to in its namespace.
   * @default 'edit'
   */
  readonly ownerClusterRole?: string;
  /**
   * ClusterRole viewer groups are bound to.
   * @default 'view'
   */
  readonly viewerClusterRole?: string;
  /**
   * Name of the function-patch-and-transform Function.
   * @default 'function-patch-and-transform'
   */
  readonly patchAndTransformFunction?: string;
  /**
   * Name of the function-auto-ready Function.
   * @default 'function-auto-ready'
   */
  readonly autoReadyFunction?: string;
  /**
   * Namespace of the cluster DNS pods, which every team namespace may reach.
   * @default 'kube-system'
   */
  readonly dnsNamespace?: string;
  /**
   * Labels of the cluster DNS pods.
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly dnsPodLabels?: Readonly<Record<string, string>>;
}

const SIZE_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
/** Characters that can appear in a Kubernetes group name prefix; '%' would break the format. */
const GROUP_PREFIX = /^[A-Za-z0-9:._/-]{0,32}$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * The team-namespace platform API (Crossplane v2): a cluster-scoped `TeamNamespace` XR whose
 * Pipeline composition gives a team a namespace under the Pod Security "restricted" profile, with
 * quota and container defaults sized from the XR, RoleBindings for its GitLab groups, default-deny
 * network policies and protection against accidental deletion.
 */
export class TeamNamespaceApi extends Construct {
  public readonly group: string;
  public readonly version: string;
  public readonly kind = 'TeamNamespace';
  public readonly plural = 'teamnamespaces';
  /** `group/version`, the apiVersion of TeamNamespace objects. */
  public readonly apiVersion: string;
  /** The XR's OpenAPI schema; the portal's form is generated from it. */
  public readonly schema: OpenApiSchema;
  /** The schema of the XR's `spec`. */
  public readonly specSchema: OpenApiSchema;
  /** The XR's name is the namespace's name: a DNS-1123 label, not a reserved namespace. */
  public readonly maxNameLength = DNS1123_LABEL_MAX_LENGTH;
  public readonly namePattern = TEAM_NAMESPACE_PATTERN;
  /** The kinds the composition creates (and Crossplane is granted). */
  public readonly composedTypes: readonly TypeRef[];
  public readonly xrd: CompositeResourceDefinitionV2;
  public readonly composition: Composition;
  public readonly clusterRole: k8s.KubeClusterRole;
  /** The label every namespace the composition makes carries (the owner's last path segment). */
  public readonly ownerLabel: string;

  constructor(scope: Construct, id: string, props: TeamNamespaceApiProps = {}) {
    super(scope, id);
    const group = props.group ?? 'platform.example.org';
    const version = props.version ?? 'v1alpha1';
    const sizes = props.sizes ?? DEFAULT_NAMESPACE_SIZES;
    const defaultSize = props.defaultSize ?? 'small';
    const oidcGroupPrefix = props.oidcGroupPrefix ?? 'oidc:';
    const ownerClusterRole = props.ownerClusterRole ?? 'edit';
    const viewerClusterRole = props.viewerClusterRole ?? 'view';
    const dnsNamespace = props.dnsNamespace ?? 'kube-system';
    const dnsPodLabels = props.dnsPodLabels ?? { 'k8s-app': 'kube-dns' };

    const check = new PropsChecker(`TeamNamespaceApi ${this.node.path}`);
    check.apiGroup('group', group);
    check.apiVersion('version', version);
    check.expect(Object.keys(sizes).length > 0, 'sizes', Object.keys(sizes), 'at least one size');
    for (const [name, size] of Object.entries(sizes)) {
      check.expect(
        SIZE_NAME.test(name),
        `sizes.${name}`,
        name,
        'a lowercase name of at most 20 characters',
      );
      const values = [
        ...Object.entries<string | number>(
          size.quota as Record<keyof QuotaLimits, string | number>,
        ),
        ...Object.entries<string>(
          size.containerDefaults as Record<keyof ContainerDefaults, string>,
        ),
      ];
      for (const [key, value] of values) {
        const ok =
          typeof value === 'number' ? Number.isInteger(value) && value >= 0 : QUANTITY.test(value);
        check.expect(
          ok,
          `sizes.${name}.${key}`,
          value,
          'a non-negative quantity such as "2", "500m" or "4Gi"',
        );
      }
    }
    check.expect(
      defaultSize in sizes,
      'defaultSize',
      defaultSize,
      `one of ${JSON.stringify(Object.keys(sizes))}`,
    );
    check.expect(
      GROUP_PREFIX.test(oidcGroupPrefix),
      'oidcGroupPrefix',
      oidcGroupPrefix,
      'at most 32 of the characters A-Z a-z 0-9 : . _ / -',
    );
    for (const [prop, role] of [
      ['ownerClusterRole', ownerClusterRole],
      ['viewerClusterRole', viewerClusterRole],
    ] as const) {
      check.expect(isDnsSubdomain(role), prop, role, 'the name of a ClusterRole (a DNS subdomain)');
    }
    for (const [prop, fn] of [
      ['patchAndTransformFunction', props.patchAndTransformFunction],
      ['autoReadyFunction', props.autoReadyFunction],
    ] as const) {
      if (fn !== undefined) {
        check.expect(
          isDnsLabel(fn),
          prop,
          fn,
          'the name of a Crossplane Function (a DNS-1123 label)',
        );
      }
    }
    check.expect(
      isDnsLabel(dnsNamespace),
      'dnsNamespace',
      dnsNamespace,
      'a namespace name (a DNS-1123 label)',
    );
    check.expect(
      Object.keys(dnsPodLabels).length > 0,
      'dnsPodLabels',
      dnsPodLabels,
      'at least one label',
    );
    for (const [key, value] of Object.entries(dnsPodLabels)) {
      check.expect(LABEL_KEY.test(key), `dnsPodLabels key`, key, 'a label key');
      check.expect(LABEL_VALUE.test(value), `dnsPodLabels.${key}`, value, 'a label value');
    }
    check.done();

    this.group = group;
    this.ownerLabel = teamNamespaceKeys(group).ownerLabel;
    this.version = version;
    this.apiVersion = `${group}/${version}`;
    this.schema = teamNamespaceSchema({ sizes, defaultSize });
    this.specSchema = this.schema.properties!.spec;
    const name = `${this.plural}.${group}`;

    this.xrd = new CompositeResourceDefinitionV2(this, 'Resource', {
      metadata: { name },
      spec: {
        group,
        names: { kind: this.kind, plural: this.plural, categories: ['crossplane', 'platform'] },
        scope: CompositeResourceDefinitionV2SpecScope.CLUSTER,
        defaultCompositionRef: { name },
        versions: [
          {
            name: version,
            served: true,
            referenceable: true,
            schema: { openApiv3Schema: this.schema },
            additionalPrinterColumns: [
              { name: 'OWNER', type: 'string', jsonPath: '.spec.owner' },
              { name: 'SIZE', type: 'string', jsonPath: '.spec.size' },
              { name: 'NAMESPACE', type: 'string', jsonPath: '.status.namespace' },
              { name: 'PROTECTED', type: 'boolean', jsonPath: '.status.deletionProtection' },
            ],
          },
        ],
      },
    });

    const resources = teamNamespaceResources({
      group,
      sizes,
      oidcGroupPrefix,
      ownerClusterRole,
      viewerClusterRole,
      dnsNamespace,
      dnsPodLabels,
    });
    this.composition = new Composition(this, 'Composition', {
      metadata: { name },
      spec: {
        compositeTypeRef: { apiVersion: this.apiVersion, kind: this.kind },
        mode: CompositionSpecMode.PIPELINE,
        pipeline: [
          {
            step: 'patch-and-transform',
            functionRef: {
              name: props.patchAndTransformFunction ?? 'function-patch-and-transform',
            },
            input: {
              apiVersion: 'pt.fn.crossplane.io/v1beta1',
              kind: 'Resources',
              ...({ resources } satisfies ResourcesProps),
            },
          },
          {
            // P&T decides readiness of the kinds that report no Ready condition (all of the
            // above); auto-ready marks any composed resource that does report one.
            step: 'automatically-detect-ready-composed-resources',
            functionRef: { name: props.autoReadyFunction ?? 'function-auto-ready' },
          },
        ],
      },
    });

    const types = new Map(
      resources
        .map((r) => r.base as TypeRef)
        .map((t) => [`${t.apiVersion}/${t.kind}`, { apiVersion: t.apiVersion, kind: t.kind }]),
    );
    this.composedTypes = [...types.values()];

    // Crossplane v2 needs explicit RBAC for every kind it composes (its own role covers only
    // Crossplane types). Binding the owner and viewer ClusterRoles also needs `bind` on exactly
    // those roles, or the API server's escalation check rejects the RoleBindings.
    this.clusterRole = new k8s.KubeClusterRole(this, 'CrossplaneRole', {
      metadata: {
        name: `crossplane:composite:${name}`,
        labels: { 'rbac.crossplane.io/aggregate-to-crossplane': 'true' },
      },
      rules: [
        ...rulesFor(this.composedTypes, MANAGE_VERBS),
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          resourceNames: [...new Set([ownerClusterRole, viewerClusterRole])].sort(),
          verbs: ['bind'],
        },
      ],
    });

    new DeletionProtection(this, 'DeletionProtection', {
      xrd: { group, plural: this.plural, kind: this.kind },
      namespaceLabel: teamNamespaceKeys(group).deletionProtectionLabel,
    });
  }
}
