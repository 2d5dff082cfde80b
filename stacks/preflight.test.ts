import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { preflight, renderTable, type ApiResponse, type Fetch } from './preflight';

const fixtures = path.join(__dirname, '__fixtures__', 'gitlab-api');
const recorded = (file: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(fixtures, file), 'utf8'));

const config = parseConfig({
  baseDomain: 'idp.dev.example.com',
  gitlabUrl: 'https://gitlab.example.com',
  gitlabPlatformGroup: 'acme-platform',
  gitlabPlatformTeamGroup: 'acme-platform/platform-team',
  gitlabCustomersGroup: 'acme-platform/customers',
  backstageImageRepository: 'ghcr.io/acme/platform-portal',
  backstageImageTag: '0.1.0',
  gitlabAdminToken: 'x',
});
const TODAY = new Date('2026-11-23T12:00:00Z');

/** Answers from recorded responses, by API path; anything else is a 404. */
function gitlab(overrides: Record<string, [number, unknown]> = {}, seen: string[] = []): Fetch {
  const answers: Record<string, [number, unknown]> = {
    '/version': [200, recorded('version.json')],
    '/user': [200, recorded('user-admin.json')],
    '/personal_access_tokens/self': [200, recorded('pat-self.json')],
    '/applications': [200, recorded('applications.json')],
    ...overrides,
  };
  return (url, init) => {
    const apiPath = url.replace('https://gitlab.example.com/api/v4', '');
    seen.push(`${apiPath} ${init.headers['PRIVATE-TOKEN'] ?? ''}`);
    const [status, body] = answers[apiPath] ?? [404, recorded('group-not-found.json')];
    return Promise.resolve<ApiResponse>({ status, json: () => Promise.resolve(body) });
  };
}

const failed = (results: { ok: boolean; check: string }[]): string[] =>
  results.filter((r) => !r.ok).map((r) => r.check);

describe('preflight', () => {
  it('passes against a GitLab where the token is an admin with api scope and no group exists yet', async () => {
    const seen: string[] = [];
    const results = await preflight(config, 'glpat-token', gitlab({}, seen), TODAY);
    expect(failed(results)).toEqual([]);
    expect(results.map((r) => r.check)).toEqual([
      'GitLab answers',
      'token belongs to an administrator',
      'token scopes and expiry',
      'platform group acme-platform',
      'platform team group acme-platform/platform-team',
      'customers group acme-platform/customers',
      'OAuth application redirect URL',
    ]);
    expect(seen).toContain('/groups/acme-platform%2Fcustomers glpat-token');
    expect(renderTable(results)).toMatch(
      /^PASS {2}GitLab answers {2,}https:\/\/gitlab.example.com runs GitLab 18.5.1-ee$/m,
    );
  });

  it('fails for a token of a regular user, a token without api scope, or one about to expire', async () => {
    expect(
      failed(
        await preflight(
          config,
          't',
          gitlab({ '/user': [200, recorded('user-regular.json')] }),
          TODAY,
        ),
      ),
    ).toEqual(['token belongs to an administrator']);
    const readOnly = { ...(recorded('pat-self.json') as object), scopes: ['read_api'] };
    const results = await preflight(
      config,
      't',
      gitlab({ '/personal_access_tokens/self': [200, readOnly] }),
      TODAY,
    );
    expect(results.find((r) => !r.ok)?.detail).toBe('missing scopes api (has read_api)');
    const expiring = { ...(recorded('pat-self.json') as object), expires_at: '2026-11-25' };
    expect(
      (
        await preflight(
          config,
          't',
          gitlab({ '/personal_access_tokens/self': [200, expiring] }),
          TODAY,
        )
      ).find((r) => !r.ok)?.detail,
    ).toBe('the token expires on 2026-11-25, within a week');
    expect(
      failed(
        await preflight(
          config,
          't',
          gitlab({ '/user': [401, { message: '401 Unauthorized' }] }),
          TODAY,
        ),
      ),
    ).toContain('token belongs to an administrator');
  });

  it('fails when a group the stack creates exists already, and says how to adopt it', async () => {
    const results = await preflight(
      config,
      't',
      gitlab({ '/groups/acme-platform': [200, recorded('group.json')] }),
      TODAY,
    );
    expect(failed(results)).toEqual(['platform group acme-platform']);
    expect(results.find((r) => !r.ok)?.detail).toContain(
      'pulumi import gitlab:index/group:Group <resource name> 85',
    );
  });

  it('fails when an existing OAuth application for this portal redirects elsewhere', async () => {
    const apps = (recorded('applications.json') as Record<string, unknown>[]).map((a) => ({
      ...a,
      callback_url: 'https://old.example.com/api/auth/gitlab/handler/frame',
    }));
    const results = await preflight(config, 't', gitlab({ '/applications': [200, apps] }), TODAY);
    expect(failed(results)).toEqual(['OAuth application redirect URL']);
  });

  it('reports an unreachable GitLab and a missing token without throwing', async () => {
    const down: Fetch = () => Promise.reject(new Error('getaddrinfo ENOTFOUND gitlab.example.com'));
    expect(await preflight(config, 't', down, TODAY)).toEqual([
      {
        check: 'GitLab answers',
        ok: false,
        detail: 'request failed: getaddrinfo ENOTFOUND gitlab.example.com',
      },
    ]);
    const results = await preflight(config, undefined, gitlab(), TODAY);
    expect(failed(results)).toEqual(['admin token']);
  });
});
