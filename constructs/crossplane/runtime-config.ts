import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsLabel } from '../names';
import { PropsChecker } from '../validation';

/** CPU and memory quantities for one side (requests or limits) of a container's resources. */
export interface ComputeResources {
  readonly cpu: string;
  readonly memory: string;
}

export interface FunctionRuntimeConfigProps {
  /**
   * The DeploymentRuntimeConfig's name, referenced from `Function.spec.runtimeConfigRef`.
   * @default 'platform-functions'
   */
  readonly name?: string;
  /**
   * Resource requests of the function container.
   * @default { cpu: '50m', memory: '64Mi' }
   */
  readonly requests?: ComputeResources;
  /**
   * Resource limits of the function container.
   * @default { cpu: '500m', memory: '256Mi' }
   */
  readonly limits?: ComputeResources;
}

/** The container name Crossplane gives the runtime of every package it deploys. */
export const PACKAGE_RUNTIME_CONTAINER = 'package-runtime';

const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/**
 * A DeploymentRuntimeConfig for composition functions. Crossplane's default function Deployment
 * sets no resource requests or limits and does not meet the Pod Security Standards "restricted"
 * profile (no seccomp profile, capabilities not dropped); this config adds both. Crossplane merges
 * it into the Deployment it generates, so only what differs from its defaults is listed here.
 */
export class FunctionRuntimeConfig extends Construct {
  public readonly configName: string;
  public readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: FunctionRuntimeConfigProps = {}) {
    super(scope, id);
    const name = props.name ?? 'platform-functions';
    const requests = props.requests ?? { cpu: '50m', memory: '64Mi' };
    const limits = props.limits ?? { cpu: '500m', memory: '256Mi' };

    const check = new PropsChecker(`FunctionRuntimeConfig ${this.node.path}`);
    check.expect(isDnsLabel(name), 'name', name, 'a DNS-1123 label of at most 63 characters');
    for (const [side, values] of [
      ['requests', requests],
      ['limits', limits],
    ] as const) {
      for (const key of ['cpu', 'memory'] as const) {
        check.expect(
          QUANTITY.test(values[key]),
          `${side}.${key}`,
          values[key],
          'a Kubernetes quantity such as "100m" or "128Mi"',
        );
      }
    }
    check.done();

    this.configName = name;
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'pkg.crossplane.io/v1beta1',
      kind: 'DeploymentRuntimeConfig',
      metadata: { name },
      spec: {
        deploymentTemplate: {
          spec: {
            // Crossplane fills in the selector; the CRD requires the key.
            selector: {},
            template: {
              spec: {
                securityContext: {
                  runAsNonRoot: true,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                containers: [
                  {
                    name: PACKAGE_RUNTIME_CONTAINER,
                    resources: { requests: { ...requests }, limits: { ...limits } },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      capabilities: { drop: ['ALL'] },
                      privileged: false,
                      readOnlyRootFilesystem: true,
                      runAsNonRoot: true,
                      seccompProfile: { type: 'RuntimeDefault' },
                    },
                  },
                ],
              },
            },
          },
        },
      },
    });
  }
}
