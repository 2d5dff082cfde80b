/**
 * A stub of the @gitbeaker/rest `Gitlab` client, at the library boundary: the resource methods
 * the GitLab scaffolder actions call, answering from an in-memory repository the way the GitLab
 * REST API documents (404 for a missing branch or file, 400 when a commit creates a file that
 * exists or a branch that exists, 409 for a second open merge request of a branch), with errors
 * of @gitbeaker's own `GitbeakerRequestError` class carrying the HTTP response, as the real client
 * throws them. No server and no HTTP: the upstream actions' code runs unchanged down to the
 * client call. Every call is recorded, so tests can assert what was read and what was written.
 *
 * `installGitlabStub` puts the stub class in place of `Gitlab` in the @gitbeaker/rest copy that
 * @backstage/plugin-scaffolder-backend-module-gitlab requires (its helpers call `new
 * rest.Gitlab(...)` at run time).
 */
import { createRequire } from 'node:module';

export interface StubMergeRequest {
  readonly iid: number;
  readonly source_branch: string;
  readonly target_branch: string;
  readonly title: string;
  readonly description?: string;
  readonly labels?: unknown;
  state: 'opened' | 'closed' | 'merged';
  readonly web_url: string;
}

export interface StubCall {
  readonly method: string;
  readonly args: readonly unknown[];
  /** The options the client was constructed with (host, token or oauthToken). */
  readonly client: Readonly<Record<string, unknown>>;
}

interface CommitAction {
  action: string;
  filePath: string;
  content?: string;
  encoding?: string;
}

/** Read-only methods: the rest write. */
const READS = new Set([
  'Branches.show',
  'RepositoryFiles.show',
  'MergeRequests.all',
  'MergeRequests.show',
  'Projects.show',
  'Users.all',
]);

/** The @gitbeaker/rest module the GitLab scaffolder module requires (not the root's copy). */
function gitbeakerOfGitlabModule(): { Gitlab: unknown; GitbeakerRequestError: ErrorClass } {
  const fromModule = createRequire(
    require.resolve('@backstage/plugin-scaffolder-backend-module-gitlab'),
  );
  return fromModule('@gitbeaker/rest') as { Gitlab: unknown; GitbeakerRequestError: ErrorClass };
}

type ErrorClass = new (message: string, options: { cause: unknown }) => Error;

/** An error as @gitbeaker throws it for a failed request: its own class, the response as cause. */
function gitlabError(method: string, status: number, message: string): Error {
  const body = JSON.stringify({ message });
  const { GitbeakerRequestError } = gitbeakerOfGitlabModule();
  return new GitbeakerRequestError(message, {
    cause: {
      description: message,
      request: new Request(`https://gitlab.invalid/api/v4/${method}`),
      response: new Response(body, { status, headers: { 'content-type': 'application/json' } }),
    },
  });
}

/** One GitLab project: its branches (each a map of file path to content) and merge requests. */
export class StubProject {
  readonly branches = new Map<string, Map<string, string>>();
  readonly mergeRequests: StubMergeRequest[] = [];

  constructor(
    readonly path: string,
    readonly webUrl: string,
    files: Readonly<Record<string, string>> = {},
    readonly defaultBranch = 'main',
  ) {
    this.branches.set(defaultBranch, new Map(Object.entries(files)));
  }

  files(branch: string): Record<string, string> {
    return Object.fromEntries(this.branches.get(branch) ?? []);
  }
}

export class GitlabStub {
  readonly calls: StubCall[] = [];
  private readonly projects = new Map<string, StubProject>();
  /** Methods made to fail once with this status, e.g. `{ 'MergeRequests.create': 500 }`. */
  readonly failOnce = new Map<string, number>();

  constructor(readonly baseUrl: string) {}

  project(path: string, files: Readonly<Record<string, string>> = {}): StubProject {
    const p = new StubProject(path, `${this.baseUrl}/${path}`, files);
    this.projects.set(path, p);
    return p;
  }

  /** Every call that would have changed something in GitLab. */
  writes(): StubCall[] {
    return this.calls.filter((c) => !READS.has(c.method));
  }

  /** A class to construct like @gitbeaker's `Gitlab`. */
  clientClass(): new (options: Record<string, unknown>) => unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const stub = this;
    return class {
      constructor(options: Record<string, unknown>) {
        return stub.client(options);
      }
    };
  }

  client(options: Record<string, unknown>): Record<string, Record<string, unknown>> {
    const call =
      <A extends unknown[], R>(method: string, fn: (...args: A) => R) =>
      (...args: A): Promise<R> => {
        this.calls.push({ method, args, client: options });
        const status = this.failOnce.get(method);
        if (status !== undefined) {
          this.failOnce.delete(method);
          return Promise.reject(gitlabError(method, status, `${status} (stub failure)`));
        }
        try {
          return Promise.resolve(fn(...args));
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
    const project = (method: string, id: unknown): StubProject => {
      const p = this.projects.get(String(id));
      if (p === undefined) throw gitlabError(method, 404, '404 Project Not Found');
      return p;
    };
    const branch = (method: string, p: StubProject, name: string): Map<string, string> => {
      const b = p.branches.get(name);
      if (b === undefined) throw gitlabError(method, 404, '404 Branch Not Found');
      return b;
    };
    return {
      Projects: {
        show: call('Projects.show', (id: string) => {
          const p = project('Projects.show', id);
          return {
            path_with_namespace: p.path,
            default_branch: p.defaultBranch,
            web_url: p.webUrl,
          };
        }),
      },
      Branches: {
        show: call('Branches.show', (id: string, name: string) => {
          const p = project('Branches.show', id);
          branch('Branches.show', p, name);
          return { name, web_url: `${p.webUrl}/-/tree/${name}` };
        }),
        create: call('Branches.create', (id: string, name: string, ref: string) => {
          const p = project('Branches.create', id);
          if (p.branches.has(name))
            throw gitlabError('Branches.create', 400, 'Branch already exists');
          p.branches.set(name, new Map(branch('Branches.create', p, ref)));
          return { name, web_url: `${p.webUrl}/-/tree/${name}` };
        }),
      },
      RepositoryFiles: {
        show: call('RepositoryFiles.show', (id: string, filePath: string, ref: string) => {
          const p = project('RepositoryFiles.show', id);
          const content = branch('RepositoryFiles.show', p, ref).get(filePath);
          if (content === undefined)
            throw gitlabError('RepositoryFiles.show', 404, '404 File Not Found');
          return { file_path: filePath, ref, content: Buffer.from(content).toString('base64') };
        }),
      },
      Commits: {
        create: call(
          'Commits.create',
          (id: string, name: string, message: string, actions: CommitAction[]) => {
            const p = project('Commits.create', id);
            const files = branch('Commits.create', p, name);
            const next = new Map(files);
            for (const a of actions) {
              const has = next.has(a.filePath);
              if (a.action === 'create' && has) {
                throw gitlabError('Commits.create', 400, 'A file with this name already exists');
              }
              if ((a.action === 'update' || a.action === 'delete') && !has) {
                throw gitlabError('Commits.create', 400, "A file with this name doesn't exist");
              }
              if (a.action === 'delete') {
                next.delete(a.filePath);
              } else {
                const raw = a.content ?? '';
                next.set(
                  a.filePath,
                  a.encoding === 'base64' ? Buffer.from(raw, 'base64').toString('utf8') : raw,
                );
              }
            }
            p.branches.set(name, next);
            return { id: `commit-${this.calls.length}`, message };
          },
        ),
      },
      MergeRequests: {
        all: call('MergeRequests.all', (o: Record<string, unknown>) => {
          const p = project('MergeRequests.all', o.projectId);
          const source = o.sourceBranch ?? o.source_branch;
          return p.mergeRequests.filter(
            (mr) =>
              (source === undefined || mr.source_branch === source) &&
              (o.state === undefined || mr.state === o.state),
          );
        }),
        create: call(
          'MergeRequests.create',
          (
            id: string,
            source: string,
            target: string,
            title: string,
            o: Record<string, unknown>,
          ) => {
            const p = project('MergeRequests.create', id);
            branch('MergeRequests.create', p, source);
            const open = p.mergeRequests.find(
              (mr) => mr.source_branch === source && mr.state === 'opened',
            );
            if (open !== undefined) {
              throw gitlabError(
                'MergeRequests.create',
                409,
                `Another open merge request already exists for this source branch: !${open.iid}`,
              );
            }
            const iid = p.mergeRequests.length + 1;
            const mr: StubMergeRequest = {
              iid,
              source_branch: source,
              target_branch: target,
              title,
              ...(typeof o?.description === 'string' ? { description: o.description } : {}),
              labels: o?.labels,
              state: 'opened',
              web_url: `${p.webUrl}/-/merge_requests/${iid}`,
            };
            p.mergeRequests.push(mr);
            return mr;
          },
        ),
      },
    };
  }
}

/**
 * Replaces `Gitlab` in the @gitbeaker/rest module the GitLab scaffolder module loads with the
 * stub's class; returns the function that puts the real one back.
 */
export function installGitlabStub(stub: GitlabStub): () => void {
  const rest = gitbeakerOfGitlabModule();
  const real = rest.Gitlab;
  rest.Gitlab = stub.clientClass();
  return () => {
    rest.Gitlab = real;
  };
}
