import { API_VERSION_PATTERN, isDnsSubdomain, show } from './names';

const apiVersion = new RegExp(API_VERSION_PATTERN);

/**
 * Thrown by a construct whose props are invalid, before it creates any child. It lists every
 * problem at once, each naming the prop, the value and what is allowed.
 */
export class PropsError extends Error {
  constructor(
    public readonly construct: string,
    public readonly problems: readonly string[],
  ) {
    super(`Invalid props for ${construct}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PropsError';
  }
}

/** Collects prop problems; `done()` throws a {@link PropsError} when there are any. */
export class PropsChecker {
  private readonly problems: string[] = [];

  constructor(private readonly construct: string) {}

  /** Records a problem with `prop` unless `ok`. `allowed` says what would have been accepted. */
  public expect(ok: boolean, prop: string, value: unknown, allowed: string): void {
    if (!ok) {
      this.problems.push(`${prop}: ${show(value)} is not allowed; expected ${allowed}`);
    }
  }

  /** The API group of a kind we define: a DNS subdomain with a dot, as CRD groups need. */
  public apiGroup(prop: string, value: string): void {
    this.expect(
      isDnsSubdomain(value) && value.includes('.'),
      prop,
      value,
      'a DNS subdomain with at least one dot, such as "platform.example.org"',
    );
  }

  /** A Kubernetes API version (`v1`, `v1alpha1`, `v2beta3`). */
  public apiVersion(prop: string, value: string): void {
    this.expect(apiVersion.test(value), prop, value, 'a Kubernetes API version such as "v1alpha1"');
  }

  public done(): void {
    if (this.problems.length > 0) {
      throw new PropsError(this.construct, this.problems);
    }
  }
}
