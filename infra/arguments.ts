/**
 * Component arguments checked where they enter, before a component declares anything: a component
 * used outside our stack (whose configuration schema checks the same values, stacks/config-schema.ts,
 * with the same patterns, infra/patterns.ts) gets one error naming every bad argument, its value and what is
 * allowed, instead of a misparsed value surfacing later in a resource. The details have the shape
 * of Pulumi's `InputPropertyErrorDetails` (`propertyPath`, `reason`), as components served by a
 * provider report them (`InputPropertiesError`); the error itself is a `RunError`, which the
 * Pulumi runtime prints without a stack trace.
 */
import * as pulumi from '@pulumi/pulumi';
import type { GroupResource } from '../constructs/rbac';
import { GROUP_PATH_PATTERN } from '../constructs/team-namespace/schema';
import { isDnsLabel, isDnsSubdomain, show } from '../constructs/names';
import {
  GI_SIZE_PATTERN,
  GROUP_REF_PATTERN,
  HTTPS_URL_PATTERN,
  IMAGE_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
  S3_PATH_PATTERN,
  SEMVER_PATTERN,
} from './patterns';

const GROUP_PATH = new RegExp(GROUP_PATH_PATTERN);

/** Thrown by a component whose arguments are invalid, before it declares any resource. */
export class ComponentArgumentsError extends pulumi.RunError {
  constructor(
    public readonly component: string,
    public readonly resourceName: string,
    public readonly errors: readonly pulumi.InputPropertyErrorDetails[],
  ) {
    super(
      `Invalid arguments for ${component} "${resourceName}":\n${errors
        .map((e) => `  - ${e.propertyPath}: ${e.reason}`)
        .join('\n')}`,
    );
    this.name = 'ComponentArgumentsError';
  }
}

/**
 * Collects argument problems of one component; `done()` throws a {@link ComponentArgumentsError}
 * when there are any. Values that are Outputs (known only at deployment) are not checked here:
 * the resources they reach check them.
 */
export class ArgumentsChecker {
  private readonly errors: pulumi.InputPropertyErrorDetails[] = [];

  constructor(
    private readonly component: string,
    private readonly name: string,
  ) {}

  /** Records a problem with `propertyPath` unless `ok`; `allowed` says what would be accepted. */
  public expect(ok: boolean, propertyPath: string, value: unknown, allowed: string): this {
    if (!ok) {
      this.errors.push({
        propertyPath,
        reason: `${show(value)} is not allowed; expected ${allowed}`,
      });
    }
    return this;
  }

  private matches(path: string, value: unknown, pattern: RegExp, allowed: string): this {
    return this.expect(typeof value === 'string' && pattern.test(value), path, value, allowed);
  }

  /** An exact chart version. */
  public chartVersion(path: string, value: unknown): this {
    return this.matches(path, value, SEMVER_PATTERN, 'an exact chart version such as "1.2.3"');
  }

  /** A namespace name, when known now (an Output is checked by the API server). */
  public namespace(path: string, value: unknown): this {
    if (value === undefined || pulumi.Output.isInstance(value)) return this;
    return this.expect(
      typeof value === 'string' && isDnsLabel(value),
      path,
      value,
      'a namespace name (a DNS label such as "backstage")',
    );
  }

  /** A Kubernetes object name (DNS subdomain), when known now; `undefined` only if optional. */
  public objectName(path: string, value: unknown, optional = false): this {
    if ((optional && value === undefined) || pulumi.Output.isInstance(value)) return this;
    return this.expect(
      typeof value === 'string' && isDnsSubdomain(value),
      path,
      value,
      'a Kubernetes object name (a DNS subdomain such as "backstage-tls")',
    );
  }

  public dnsLabel(path: string, value: unknown, example: string): this {
    return this.expect(
      typeof value === 'string' && isDnsLabel(value),
      path,
      value,
      `a DNS label such as "${example}"`,
    );
  }

  public host(path: string, value: unknown): this {
    return this.expect(
      typeof value === 'string' && isDnsSubdomain(value),
      path,
      value,
      'a host name such as "backstage.idp.example.com"',
    );
  }

  public httpsUrl(path: string, value: unknown): this {
    return this.matches(
      path,
      value,
      HTTPS_URL_PATTERN,
      'an https URL without path or trailing slash, such as "https://gitlab.example.com"',
    );
  }

  public imageRepository(path: string, value: unknown): this {
    return this.matches(
      path,
      value,
      IMAGE_REPOSITORY_PATTERN,
      'an image repository with its registry and without tag, such as "ghcr.io/acme/platform-portal"',
    );
  }

  public imageTag(path: string, value: unknown): this {
    return this.matches(
      path,
      value,
      IMAGE_TAG_PATTERN,
      'an exact image tag (not "latest") or a sha256 digest, such as "1.2.3"',
    );
  }

  public giSize(path: string, value: unknown): this {
    return this.matches(path, value, GI_SIZE_PATTERN, 'a size in Gi such as "10Gi"');
  }

  public s3Path(path: string, value: unknown): this {
    return this.matches(
      path,
      value,
      S3_PATH_PATTERN,
      'an s3:// URL such as "s3://acme-backups/portal"',
    );
  }

  public groupPath(path: string, value: unknown): this {
    return this.matches(
      path,
      value,
      GROUP_PATH,
      'a GitLab group path of DNS-label segments, such as "acme/platform"',
    );
  }

  public groupRefs(path: string, value: readonly unknown[]): this {
    value.forEach((ref, i) =>
      this.matches(
        `${path}[${i}]`,
        ref,
        GROUP_REF_PATTERN,
        'a group entity reference such as "group:default/platform-team"',
      ),
    );
    return this;
  }

  /** Kinds granted by RBAC rules: an API group ('' for the core group) and a resource. */
  public groupResources(path: string, value: readonly GroupResource[], nonEmpty = true): this {
    this.expect(!nonEmpty || value.length > 0, path, value, 'at least one { group, resource }');
    value.forEach((r, i) => {
      this.expect(
        r.group === '' || isDnsSubdomain(r.group),
        `${path}[${i}].group`,
        r.group,
        'an API group (a DNS subdomain, or "" for the core group)',
      );
      this.dnsLabel(`${path}[${i}].resource`, r.resource, 'postgresdatabases');
    });
    return this;
  }

  public done(): void {
    if (this.errors.length > 0) {
      throw new ComponentArgumentsError(this.component, this.name, this.errors);
    }
  }
}
