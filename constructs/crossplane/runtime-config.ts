import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsLabel } from '../names';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  WORKLOAD_USERS,
  type RunAs,
} from '../pod-security';
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
  /**
   * The numeric user and group the function processes run as.
   * @default WORKLOAD_USERS.crossplaneFunction (2000:2000, Crossplane's own default)
   */
  readonly runAs?: RunAs;
}

/** The container name Crossplane gives the runtime of every package it deploys. */
export const PACKAGE_RUNTIME_CONTAINER = 'package-runtime';

/**
 * The port Crossplane gives a function's gRPC server (`grpc`, 9443 in
 * internal/controller/pkg/runtime/runtime.go, v2.3.4); it adds the port to the container itself.
 */
export const FUNCTION_GRPC_PORT = 'grpc';

const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/**
 * A DeploymentRuntimeConfig for composition functions. Crossplane's default function Deployment
 * sets no resource requests or limits, no probes, and does not meet the Pod Security Standards
 * "restricted" profile (no seccomp profile, capabilities not dropped); this config adds them.
 * Crossplane merges it into the Deployment it generates.
 *
 * Crossplane applies its default security contexts (with user 2000) only when these are nil
 * (DeploymentWithOptionalPodSecurityContext in v2.3.4), so once we set one we must name the
 * user ourselves: the function images name theirs (`USER nonroot:nonroot`), and the kubelet
 * refuses `runAsNonRoot` for a non-numeric user.
 *
 * The probes are TCP checks of the gRPC port: the functions serve mutual TLS, which kubelet
 * gRPC probes cannot speak, and register no gRPC health service (function-sdk-go registers
 * one only with WithHealthServer, which neither pinned function passes).
 */
export class FunctionRuntimeConfig extends Construct {
  public readonly configName: string;
  public readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: FunctionRuntimeConfigProps = {}) {
    super(scope, id);
    const name = props.name ?? 'platform-functions';
    const requests = props.requests ?? { cpu: '50m', memory: '64Mi' };
    const limits = props.limits ?? { cpu: '500m', memory: '256Mi' };
    const runAs = props.runAs ?? WORKLOAD_USERS.crossplaneFunction;

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
    for (const key of ['user', 'group'] as const) {
      check.expect(
        Number.isInteger(runAs[key]) && runAs[key] > 0,
        `runAs.${key}`,
        String(runAs[key]),
        'a positive integer (a numeric, non-root id)',
      );
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
                securityContext: restrictedPodSecurityContext(runAs),
                containers: [
                  {
                    name: PACKAGE_RUNTIME_CONTAINER,
                    resources: { requests: { ...requests }, limits: { ...limits } },
                    securityContext: {
                      ...restrictedContainerSecurityContext(runAs),
                      privileged: false,
                    },
                    readinessProbe: {
                      tcpSocket: { port: FUNCTION_GRPC_PORT },
                      periodSeconds: 10,
                      timeoutSeconds: 5,
                      failureThreshold: 3,
                    },
                    livenessProbe: {
                      tcpSocket: { port: FUNCTION_GRPC_PORT },
                      initialDelaySeconds: 10,
                      periodSeconds: 20,
                      timeoutSeconds: 5,
                      failureThreshold: 6,
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
