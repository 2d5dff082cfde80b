import { show } from './names';

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

  public done(): void {
    if (this.problems.length > 0) {
      throw new PropsError(this.construct, this.problems);
    }
  }
}
