import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { httpFetch, preflight, renderTable, type ApiResponse, type Fetch } from './preflight';

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

  it('reports a missing token without asking GitLab with it', async () => {
    const seen: string[] = [];
    const results = await preflight(config, undefined, gitlab({}, seen), TODAY);
    expect(failed(results)).toEqual(['admin token']);
    expect(seen).toEqual(['/version ']);
  });
});

/**
 * Real failures of the real `fetch` (the one `npm run preflight` uses), on this machine only:
 * a closed loopback port, a name under `.invalid` (which never resolves, RFC 6761), a loopback
 * TLS server whose certificate is self-signed.
 */
describe('preflight against GitLab that cannot be reached', { timeout: 30_000 }, () => {
  // The stack configuration refuses a port in gitlabUrl (the portal's catalog could not ingest
  // from such a host), so the loopback servers' ports are set on the parsed configuration.
  const configFor = (gitlabUrl: string) => ({
    ...parseConfig({ baseDomain: 'idp.example.com', gitlabAdminToken: 'x' }),
    gitlabUrl,
  });
  const reach = async (gitlabUrl: string): Promise<string> => {
    const results = await preflight(configFor(gitlabUrl), 'glpat-token', httpFetch(), TODAY);
    expect(results.map((r) => [r.check, r.ok])).toEqual([['GitLab answers', false]]);
    return results[0].detail;
  };

  it('names a refused connection', async () => {
    const port = await closedPort();
    expect(await reach(`https://127.0.0.1:${port}`)).toBe(
      `request failed: connect ECONNREFUSED 127.0.0.1:${port}: nothing accepts connections there: check the host and port of gitlabUrl`,
    );
  });

  it('names a host name that does not resolve', async () => {
    // ENOTFOUND from a resolver that answers, EAI_AGAIN where none does: both are the system's.
    expect(await reach('https://gitlab.invalid')).toMatch(
      /^request failed: getaddrinfo (ENOTFOUND gitlab\.invalid: the host name does not resolve: check gitlabUrl and DNS|EAI_AGAIN gitlab\.invalid: .+)$/,
    );
  });

  it('names an untrusted certificate, and what to do about it', async () => {
    const server = await selfSignedServer();
    try {
      expect(await reach(`https://127.0.0.1:${server.port}`)).toBe(
        "request failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT): GitLab's TLS certificate is not trusted here; if a private CA issued it, point NODE_EXTRA_CA_CERTS at that CA's certificate (PEM) and run again",
      );
      expect(server.requests()).toBe(0); // the handshake failed: nothing was sent
    } finally {
      await server.close();
    }
  });

  it('names a server that does not answer in time', async () => {
    // Accepts the connection and never answers.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const results = await preflight(
        configFor(`https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`),
        'glpat-token',
        httpFetch(300),
        TODAY,
      );
      expect(results).toEqual([
        { check: 'GitLab answers', ok: false, detail: 'request failed: no answer within 0.3 s' },
      ]);
      expect(sockets.length).toBe(1);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});

/** A loopback port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** An HTTPS server on loopback with a certificate openssl signs with its own key. */
async function selfSignedServer(): Promise<{
  port: number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe', timeout: 20_000 },
    );
    let requests = 0;
    const server = https.createServer(
      {
        key: fs.readFileSync(path.join(dir, 'key.pem')),
        cert: fs.readFileSync(path.join(dir, 'cert.pem')),
      },
      (_req, res) => {
        requests += 1;
        res.end('{"version":"18.5.1-ee"}');
      },
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return {
      port: (server.address() as net.AddressInfo).port,
      requests: () => requests,
      close: () => new Promise<void>((done) => server.close(() => done())),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
