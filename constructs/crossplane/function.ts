import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Function as FunctionPackage } from '../imports/crossplane-function-pkg.crossplane.io';
import { isDnsLabel } from '../names';
import { PropsChecker } from '../validation';

/** An OCI repository without tag or digest, e.g. `xpkg.crossplane.io/org/function-x`. */
const PACKAGE_PATTERN = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/;
/** A semantic-version tag as Crossplane packages use them (`v0.10.8`). */
const VERSION_PATTERN = /^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;

export interface CrossplaneFunctionProps {
  /** The package's OCI repository, without tag, e.g. `xpkg.crossplane.io/crossplane-contrib/function-auto-ready`. */
  readonly package: string;
  /** The exact version tag to install, e.g. `v0.7.0`. Floating tags are rejected. */
  readonly version: string;
  /**
   * The Function's name, which compositions reference in `functionRef.name`.
   * @default the last path segment of `package`
   */
  readonly name?: string;
  /**
   * Name of the DeploymentRuntimeConfig the function's pods use.
   * @default Crossplane's `default` runtime config
   */
  readonly runtimeConfigName?: string;
}

/**
 * A Crossplane composition function package (`pkg.crossplane.io/v1` Function), pinned to an
 * exact version so that the composition pipeline behaves the same in every environment.
 */
export class CrossplaneFunction extends Construct {
  /** The Function's name, for `pipeline[].functionRef.name`. */
  public readonly functionName: string;
  public readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: CrossplaneFunctionProps) {
    super(scope, id);
    const name = props.name ?? props.package.split('/').pop() ?? '';
    const check = new PropsChecker(`CrossplaneFunction ${this.node.path}`);
    check.expect(
      PACKAGE_PATTERN.test(props.package),
      'package',
      props.package,
      'an OCI repository without tag or digest, such as "xpkg.crossplane.io/crossplane-contrib/function-auto-ready"',
    );
    check.expect(
      VERSION_PATTERN.test(props.version),
      'version',
      props.version,
      'an exact version tag such as "v0.7.0"',
    );
    check.expect(isDnsLabel(name), 'name', name, 'a DNS-1123 label of at most 63 characters');
    if (props.runtimeConfigName !== undefined) {
      check.expect(
        isDnsLabel(props.runtimeConfigName),
        'runtimeConfigName',
        props.runtimeConfigName,
        'a DNS-1123 label of at most 63 characters',
      );
    }
    check.done();

    this.functionName = name;
    this.resource = new FunctionPackage(this, 'Resource', {
      metadata: { name },
      spec: {
        package: `${props.package}:${props.version}`,
        ...(props.runtimeConfigName !== undefined
          ? { runtimeConfigRef: { name: props.runtimeConfigName } }
          : {}),
      },
    });
  }
}
