import { describe, expect, it } from 'vitest';
import { groupCreateScript, GROUP_JOB_VARIABLES } from './claims-repository';
import { runWithStubCurl, type Answers } from '../../testing/stub-curl';

const API = 'https://gitlab.example.com/api/v4';
const TOKEN = 'glpat-customers-group-owner';
/** What the pipeline of the default branch has (CI_API_V4_URL is GitLab's own). */
const ENV = {
  CI_API_V4_URL: API,
  [GROUP_JOB_VARIABLES.token]: TOKEN,
  [GROUP_JOB_VARIABLES.parentId]: '42',
  [GROUP_JOB_VARIABLES.parentPath]: 'acme-platform/customers',
};

/** A group request as the customer-group template writes it. */
const request = (path: string, displayName: string, description?: string): string =>
  JSON.stringify({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: `customers-${path}`,
      ...(description !== undefined ? { description } : {}),
      annotations: { 'gitlab.example.com/team-path': `acme-platform/customers/${path}` },
    },
    spec: { type: 'team', profile: { displayName }, parent: 'customers', children: [] },
  });

const lookup = (path: string) => ({
  method: 'GET',
  url: `${API}/groups/acme-platform%2Fcustomers%2F${path}`,
  headers: [`PRIVATE-TOKEN: ${TOKEN}`],
  form: {},
});

const run = (files: Record<string, string>, answers: Answers, env: Record<string, string> = ENV) =>
  runWithStubCurl(groupCreateScript(), files, env, answers);

describe(
  'the groups job (creates requested customer groups on the default branch)',
  // Each run is one `sh` (under 1 s loaded); the runner kills one after 30 s.
  { timeout: 60_000 },
  () => {
    it('creates a group that does not exist yet, private, under the customers group', () => {
      const result = run(
        {
          'groups/team-b.json': request('team-b', 'Team B (payments) & "co"', 'Payments team'),
          'groups/team-c.json': request('team-c', 'Team C'),
        },
        {
          [`GET ${API}/groups/acme-platform%2Fcustomers%2Fteam-b`]: [
            404,
            '{"message":"404 Group Not Found"}',
          ],
          [`POST ${API}/groups`]: [201, '{"id":77}'],
          [`GET ${API}/groups/acme-platform%2Fcustomers%2Fteam-c`]: [
            404,
            '{"message":"404 Group Not Found"}',
          ],
        },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.requests).toEqual([
        lookup('team-b'),
        {
          method: 'POST',
          url: `${API}/groups`,
          headers: [`PRIVATE-TOKEN: ${TOKEN}`],
          form: {
            name: 'Team B (payments) & "co"',
            path: 'team-b',
            description: 'Payments team',
            parent_id: '42',
            visibility: 'private',
          },
        },
        lookup('team-c'),
        {
          method: 'POST',
          url: `${API}/groups`,
          headers: [`PRIVATE-TOKEN: ${TOKEN}`],
          // The description is optional in the template: an empty one, not "null".
          form: {
            name: 'Team C',
            path: 'team-c',
            description: '',
            parent_id: '42',
            visibility: 'private',
          },
        },
      ]);
      expect(result.stdout).toBe(
        'acme-platform/customers/team-b created\nacme-platform/customers/team-c created\n',
      );
    });

    it('leaves a group that exists as it is', () => {
      const result = run(
        { 'groups/team-a.json': request('team-a', 'Team A') },
        { [`GET ${API}/groups/acme-platform%2Fcustomers%2Fteam-a`]: [200, '{"id":12}'] },
      );
      expect(result).toMatchObject({
        status: 0,
        stderr: '',
        stdout: 'acme-platform/customers/team-a exists\n',
      });
      expect(result.requests).toEqual([lookup('team-a')]);
      // Nothing to do without requests.
      expect(run({}, {})).toMatchObject({ status: 0, stdout: '', requests: [] });
    });

    it('stops, creating nothing more, on any other answer or a refused creation', () => {
      const files = {
        'groups/team-a.json': request('team-a', 'Team A'),
        'groups/team-b.json': request('team-b', 'Team B'),
      };
      const unauthorized = run(files, {
        [`GET ${API}/groups/acme-platform%2Fcustomers%2Fteam-a`]: [
          401,
          '{"message":"401 Unauthorized"}',
        ],
      });
      expect(unauthorized.status).toBe(1);
      expect(unauthorized.stderr).toBe(
        'acme-platform/customers/team-a: GitLab answered HTTP 401 to GET /groups/acme-platform%2Fcustomers%2Fteam-a; nothing created\n',
      );
      expect(unauthorized.requests).toEqual([lookup('team-a')]);
      const taken = run(files, {
        [`GET ${API}/groups/acme-platform%2Fcustomers%2Fteam-a`]: [404, '{}'],
        [`POST ${API}/groups`]: [400, '{"message":{"path":["has already been taken"]}}'],
      });
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain(
        'acme-platform/customers/team-a: GitLab refused to create it: {"message":{"path":["has already been taken"]}}\n',
      );
      expect(taken.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    });

    it('refuses to run without the token, before any request', () => {
      const { [GROUP_JOB_VARIABLES.token]: _token, ...noToken } = ENV;
      const result = run({ 'groups/team-a.json': request('team-a', 'Team A') }, {}, noToken);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        'CUSTOMER_GROUPS_TOKEN: is not set: it is a protected variable, given to pipelines of the default branch only',
      );
      expect(result.requests).toEqual([]);
    });
  },
);
