/**
 * Preflight checks before `pulumi up`: what would otherwise fail half-way through the GitLab side.
 * The checks are pure functions of the stack config and the GitLab API's answers, so they are
 * tested against recorded API responses; `scripts/preflight.ts` runs them against the real API.
 */
import { oauthApplicationName, redirectUrl } from '../infra/gitlab/portal-access';
import type { PlatformConfig } from './config';

export interface ApiResponse {
  readonly status: number;
  json(): Promise<unknown>;
}

/** `fetch` as the checks use it (the real one, or recorded responses in tests). */
export type Fetch = (
  url: string,
  init: { headers: Record<string, string> },
) => Promise<ApiResponse>;

export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** How long a request to GitLab may take before its check fails. */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The real `fetch`, each request (answer and body) limited to `timeoutMs`: what
 * `npm run preflight` uses.
 */
export function httpFetch(timeoutMs: number = REQUEST_TIMEOUT_MS): Fetch {
  const late = (e: unknown): never => {
    throw (e as Error | null)?.name === 'TimeoutError'
      ? new Error(`no answer within ${timeoutMs / 1000} s`)
      : e;
  };
  return async (url, init) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch(
      late,
    );
    return { status: response.status, json: () => response.json().catch(late) };
  };
}

/** What to do about a network failure, by the error code Node gives its cause. */
const FAILURE_HINTS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name does not resolve: check gitlabUrl and DNS',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer): check DNS',
  ECONNREFUSED: 'nothing accepts connections there: check the host and port of gitlabUrl',
  ECONNRESET: 'the connection was closed: a proxy or firewall may be in the way',
  ETIMEDOUT: 'the connection timed out: a firewall may be in the way',
  EHOSTUNREACH: 'the host is unreachable from here',
  ENETUNREACH: 'the network is unreachable from here',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out: a firewall may be in the way',
};
const CERTIFICATE_HINT =
  "GitLab's TLS certificate is not trusted here; if a private CA issued it, point NODE_EXTRA_CA_CERTS at that CA's certificate (PEM) and run again";

interface ErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/** The errors a failure is made of: its causes, and the attempts of an AggregateError. */
function causes(e: unknown): ErrorLike[] {
  if (e === null || typeof e !== 'object') {
    return [{ message: String(e) }];
  }
  const error = e as ErrorLike;
  const inner = [
    ...(error.cause !== undefined ? causes(error.cause) : []),
    ...(error.errors ?? []).flatMap(causes),
  ];
  return inner.length > 0 ? inner : [error];
}

/**
 * Why a request failed, from the errors underneath the one `fetch` throws ("fetch failed"): the
 * system's or TLS's own message and code (ENOTFOUND, ECONNREFUSED, a certificate error), and
 * what to do about it.
 */
function requestFailure(e: unknown): string {
  const roots = causes(e);
  const said = [
    ...new Set(
      roots.map((r) => {
        const message = r.message ?? r.name ?? 'an error without a message';
        return r.code !== undefined && !message.includes(r.code)
          ? `${message} (${r.code})`
          : message;
      }),
    ),
  ].join('; ');
  const codes = roots.map((r) => r.code ?? '');
  const hint =
    codes.map((c) => FAILURE_HINTS[c]).find((h) => h !== undefined) ??
    (codes.some((c) => /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(c))
      ? CERTIFICATE_HINT
      : undefined);
  return hint !== undefined ? `${said}: ${hint}` : said;
}

/** Scopes the admin token needs: the API, and admin mode where GitLab enforces it. */
export const REQUIRED_TOKEN_SCOPES = ['api'] as const;

interface TokenInfo {
  readonly scopes?: readonly string[];
  readonly active?: boolean;
  readonly revoked?: boolean;
  readonly expires_at?: string | null;
}

async function get(fetch: Fetch, base: string, path: string, token?: string): Promise<ApiResponse> {
  return fetch(`${base}/api/v4${path}`, {
    headers:
      token !== undefined
        ? { 'PRIVATE-TOKEN': token, Accept: 'application/json' }
        : { Accept: 'application/json' },
  });
}

/**
 * Runs every check and returns one result per check; a failed request is a failed check, never
 * an exception, so that the table always shows everything.
 */
export async function preflight(
  config: PlatformConfig,
  token: string | undefined,
  fetch: Fetch,
  today: Date = new Date(),
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const base = config.gitlabUrl;
  const attempt = async (
    check: string,
    run: () => Promise<Omit<CheckResult, 'check'>>,
  ): Promise<boolean> => {
    try {
      const r = await run();
      results.push({ check, ...r });
      return r.ok;
    } catch (e) {
      results.push({
        check,
        ok: false,
        detail:
          e instanceof SyntaxError
            ? `the answer is not JSON (${e.message}): is gitlabUrl the address of a GitLab instance?`
            : `request failed: ${requestFailure(e)}`,
      });
      return false;
    }
  };

  const reachable = await attempt('GitLab answers', async () => {
    const r = await get(fetch, base, '/version', token);
    const body = (await r.json()) as { version?: string };
    return r.status === 200 && typeof body.version === 'string'
      ? { ok: true, detail: `${base} runs GitLab ${body.version}` }
      : { ok: false, detail: `${base}/api/v4/version answered ${r.status}` };
  });

  if (token === undefined) {
    results.push({
      check: 'admin token',
      ok: false,
      detail: 'no token: set GITLAB_ADMIN_TOKEN (see the README)',
    });
  } else if (reachable) {
    await attempt('token belongs to an administrator', async () => {
      const r = await get(fetch, base, '/user', token);
      const user = (await r.json()) as { username?: string; is_admin?: boolean };
      if (r.status !== 200) {
        return { ok: false, detail: `GET /user answered ${r.status}: the token is not valid` };
      }
      return user.is_admin === true
        ? { ok: true, detail: `${user.username ?? '?'} is an administrator` }
        : {
            ok: false,
            detail: `${user.username ?? '?'} is not an administrator; the OAuth application and the top-level group need one`,
          };
    });
    await attempt('token scopes and expiry', async () => {
      const r = await get(fetch, base, '/personal_access_tokens/self', token);
      const info = (await r.json()) as TokenInfo;
      if (r.status !== 200) {
        return { ok: false, detail: `GET /personal_access_tokens/self answered ${r.status}` };
      }
      const missing = REQUIRED_TOKEN_SCOPES.filter((s) => !(info.scopes ?? []).includes(s));
      if (missing.length > 0) {
        return {
          ok: false,
          detail: `missing scopes ${missing.join(', ')} (has ${(info.scopes ?? []).join(', ') || 'none'})`,
        };
      }
      if (info.active === false || info.revoked === true) {
        return { ok: false, detail: 'the token is revoked or inactive' };
      }
      const expires = info.expires_at ? new Date(`${info.expires_at}T00:00:00Z`) : undefined;
      if (expires !== undefined && expires.getTime() - today.getTime() < 7 * 24 * 3600 * 1000) {
        return { ok: false, detail: `the token expires on ${info.expires_at}, within a week` };
      }
      return {
        ok: true,
        detail: `scopes ${(info.scopes ?? []).join(', ')}; expires ${info.expires_at ?? 'never'}`,
      };
    });
    for (const [check, path] of [
      ['platform group', config.gitlabPlatformGroup],
      ['platform team group', config.gitlabPlatformTeamGroup],
      ['customers group', config.gitlabCustomersGroup],
    ] as const) {
      await attempt(`${check} ${path}`, async () => {
        const r = await get(fetch, base, `/groups/${encodeURIComponent(path)}`, token);
        if (r.status === 404) {
          return { ok: true, detail: 'does not exist yet: the stack creates it' };
        }
        const group = (await r.json()) as { full_path?: string; id?: number };
        // The stack creates these groups; one that already exists would make `pulumi up` fail.
        return r.status === 200
          ? {
              ok: false,
              detail: `exists already (id ${group.id ?? '?'}): choose another path, or adopt it with \`pulumi import gitlab:index/group:Group <resource name> ${group.id ?? '<id>'}\``,
            }
          : { ok: false, detail: `GET /groups answered ${r.status}` };
      });
    }
  }

  const expected = redirectUrl(config.backstageHost);
  if (token !== undefined && reachable) {
    await attempt('OAuth application redirect URL', async () => {
      const r = await get(fetch, base, '/applications', token);
      if (r.status !== 200) {
        return { ok: false, detail: `GET /applications answered ${r.status}` };
      }
      const apps = (await r.json()) as { application_name?: string; callback_url?: string }[];
      const ours = apps.filter(
        (a) => a.application_name === oauthApplicationName(config.backstageHost),
      );
      const wrong = ours.filter((a) => a.callback_url !== expected);
      return wrong.length > 0
        ? {
            ok: false,
            detail: `${wrong.length} existing application(s) named for this host redirect to ${wrong.map((a) => a.callback_url).join(', ')}, not ${expected}`,
          }
        : {
            ok: true,
            detail:
              ours.length > 0
                ? `redirects to ${expected}`
                : `none yet; the stack creates one redirecting to ${expected}`,
          };
    });
  }
  return results;
}

/** The results as a table for the terminal. */
export function renderTable(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length));
  return results
    .map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.check.padEnd(width)}  ${r.detail}`)
    .join('\n');
}
