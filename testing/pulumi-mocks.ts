/**
 * The Pulumi mock runner: runs a Pulumi program under Pulumi's mock runtime and records every
 * resource it registers (type, name, parent, dependencies, protection flags, provider and inputs),
 * with every secret replaced by a fixed marker. Needs no cluster, no Pulumi CLI, no credentials.
 * The stack tests and the offline plan (`npm run plan`, testing/plan.ts) run the program with it.
 *
 * It relies on internals of @pulumi/pulumi that its public API does not cover: the wire-format
 * signatures of property serialization (sdk/nodejs/runtime/rpc.ts), the mock monitor's
 * `registerResource(request, callback)` that the SDK calls for every resource, and the getters of
 * the protobuf request and response. testing/pulumi-mocks.test.ts pins each of them, so that a
 * Pulumi upgrade that changes one fails there, by name, rather than as a silently empty plan.
 */
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../stacks/config-schema';
import { SECRET_MARKER } from '../stacks/stack-file';

export { SECRET_MARKER } from '../stacks/stack-file';
export const UNKNOWN_MARKER = '[unknown]';

/** Wire-format signatures of Pulumi's property serialization (sdk/nodejs/runtime/rpc.ts). */
export const PULUMI_WIRE = {
  /** The key of a special value's signature (`specialSigKey`). */
  sig: '4dabf18193072939515e22adb298388d',
  secret: '1b47061264138c4ac30d75fd1eb44270',
  resource: '5cf8f73096256a8f31e491e813e4eb8e',
  output: 'd0e6a833031e9bbcd3f4e8bde6ca49a4',
  /** An unknown value (`unknownValue`). */
  unknown: '04da6b54-80e4-46f7-96ec-b56ff0331ba9',
} as const;
const SIG = PULUMI_WIRE.sig;
const SECRET_SIG = PULUMI_WIRE.secret;
const RESOURCE_SIG = PULUMI_WIRE.resource;
const OUTPUT_SIG = PULUMI_WIRE.output;
const UNKNOWN = PULUMI_WIRE.unknown;

export interface PlanEntry {
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly provider?: string;
  readonly dependsOn?: readonly string[];
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly version?: string;
  readonly inputs: unknown;
}

/** `urn:pulumi:stack::project::parent$type::name` as `type::name`. */
function shortUrn(urn: string): string {
  const parts = urn.split('::');
  const types = parts[2] ?? '';
  return `${types.split('$').pop() ?? types}::${parts.slice(3).join('::')}`;
}

/** Serialized property values as a reviewer reads them: secrets masked, keys sorted. */
export function readable(value: unknown): unknown {
  if (value === UNKNOWN) {
    return UNKNOWN_MARKER;
  }
  if (Array.isArray(value)) {
    return value.map(readable);
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o[SIG] === SECRET_SIG) {
      return SECRET_MARKER;
    }
    if (o[SIG] === OUTPUT_SIG) {
      return o.secret === true ? SECRET_MARKER : 'value' in o ? readable(o.value) : UNKNOWN_MARKER;
    }
    if (o[SIG] === RESOURCE_SIG) {
      return { resource: shortUrn(String(o.urn)) };
    }
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, readable(o[k])]),
    );
  }
  return value;
}

interface ProtoStruct {
  toJavaScript(): Record<string, unknown>;
}

interface RegisterResourceResponse {
  getObject(): ProtoStruct | undefined;
  setObject(value: ProtoStruct): void;
}

interface RegisterResourceRequest {
  getAdditionalsecretoutputsList(): string[];
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getVersion(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
}

interface MonitorWithRegister {
  registerResource(
    req: RegisterResourceRequest,
    callback: (err: unknown, res: RegisterResourceResponse | undefined) => void,
  ): Promise<void>;
}

export interface RunOptions {
  readonly stack: string;
  /** Stack configuration, keyed `platform:<key>`, values as Pulumi stores them (strings). */
  readonly config: Readonly<Record<string, string>>;
  /** Outputs the mocks give resources, by type token, on top of their inputs. */
  readonly mockOutputs?: (type: string, name: string) => Record<string, unknown>;
  /**
   * The id the mocks give a resource.
   * @default `<name>-id`, or a stable number for GitLab groups, whose ids are integers
   */
  readonly mockId?: (type: string, name: string) => string;
  /** Loads the program (a `require` or `import` of its entry point). */
  readonly load: () => unknown;
  /** Told of every resource the program registers, as it registers it. */
  readonly onRegister?: (type: string, name: string) => void;
  /**
   * Whether errors raised while the program runs keep their stack traces.
   * @default false: Pulumi records a stack trace for every resource (its source position, which
   * the mocks never read) and every promise it wraps (for its leak report), most of a large
   * plan's time; without them an error shows its message only.
   */
  readonly stackTraces?: boolean;
}

export interface RunResult {
  readonly entries: PlanEntry[];
  /** What the program exported (its stack outputs). */
  readonly exports: unknown;
}

/**
 * Outputs only the real resource provides that flow into other resources' inputs: unknown in a
 * plan, as in `pulumi preview`, so that the plan shows where they go.
 */
const COMPUTED_OUTPUTS: Readonly<Record<string, Record<string, unknown>>> = {
  'gitlab:index/groupAccessToken:GroupAccessToken': {
    createdAt: UNKNOWN_MARKER,
    token: UNKNOWN_MARKER,
  },
  'gitlab:index/projectAccessToken:ProjectAccessToken': {
    createdAt: UNKNOWN_MARKER,
    token: UNKNOWN_MARKER,
  },
  'gitlab:index/clusterAgentToken:ClusterAgentToken': { token: UNKNOWN_MARKER },
  'gitlab:index/clusterAgent:ClusterAgent': { agentId: UNKNOWN_MARKER },
  // Generated at apply time; secret (the provider marks it so).
  'random:index/randomPassword:RandomPassword': { result: UNKNOWN_MARKER },
};

/** Ids as a provider would assign them: GitLab's are integers (a stable one per name here). */
function defaultMockId(type: string, name: string): string {
  if (type.startsWith('gitlab:')) {
    let hash = 7;
    for (const c of name) {
      hash = (hash * 31 + c.charCodeAt(0)) % 1_000_000;
    }
    return String(hash);
  }
  return `${name}-id`;
}

/**
 * Makes stack capture cheap until the returned function is called: no frames for `new Error()`
 * (Pulumi's promise wrapper), and no source position for a resource, which Pulumi computes by
 * formatting the whole stack with an unlimited depth (`Resource.callsites`) and the mock monitor
 * ignores. Neither is in what the runner records.
 */
export function withoutStackCapture(): () => void {
  const limit = Error.stackTraceLimit;
  const resource = pulumi.Resource as unknown as ResourceCallsites;
  const callsites = Object.getOwnPropertyDescriptor(resource, 'callsites');
  Error.stackTraceLimit = 0;
  resource.callsites = () => [];
  return () => {
    Error.stackTraceLimit = limit;
    if (callsites !== undefined) Object.defineProperty(resource, 'callsites', callsites);
  };
}

/** Pulumi's source-position lookup (sdk/nodejs/resource.ts), which `Resource.stackTrace` calls. */
export interface ResourceCallsites {
  callsites(this: void): { file?: string; line?: number; column?: number }[];
}

/**
 * Runs the program under mocks and returns what it registered. Call once per process: Pulumi's
 * runtime state is global.
 */
export async function runUnderMocks(options: RunOptions): Promise<RunResult> {
  const restore = options.stackTraces === true ? () => {} : withoutStackCapture();
  try {
    return await run(options);
  } finally {
    restore();
  }
}

async function run(options: RunOptions): Promise<RunResult> {
  pulumi.runtime.setAllConfig({ ...options.config });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: (options.mockId ?? defaultMockId)(args.type, args.name),
        state: {
          ...(args.inputs as Record<string, unknown>),
          ...(COMPUTED_OUTPUTS[args.type] ?? {}),
          ...(options.mockOutputs?.(args.type, args.name) ?? {}),
        },
      }),
      call: () => ({}),
    },
    PROJECT,
    options.stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  const entries: PlanEntry[] = [];
  monitor.registerResource = (req, callback) => {
    options.onRegister?.(req.getType(), req.getName());
    const provider = req.getProvider();
    entries.push({
      type: req.getType(),
      name: req.getName(),
      ...(req.getParent() !== '' ? { parent: shortUrn(req.getParent()) } : {}),
      ...(provider !== ''
        ? { provider: shortUrn(provider.split('::').slice(0, -1).join('::')) }
        : {}),
      ...(req.getDependenciesList().length > 0
        ? { dependsOn: req.getDependenciesList().map(shortUrn).sort() }
        : {}),
      ...(req.getProtect() === true ? { protect: true } : {}),
      ...(req.getRetainondelete() === true ? { retainOnDelete: true } : {}),
      ...(req.getVersion() !== '' ? { version: req.getVersion() } : {}),
      inputs: readable(req.getObject()?.toJavaScript() ?? {}),
    });
    // The engine, not the SDK, makes `additionalSecretOutputs` secret; Pulumi's mock monitor
    // does not, so do it here as the engine would.
    const secretOutputs = req.getAdditionalsecretoutputsList();
    return register(req, (err, res) => {
      const object = res?.getObject();
      if (err === null && res !== undefined && object !== undefined && secretOutputs.length > 0) {
        const state = object.toJavaScript();
        for (const key of secretOutputs.filter((k) => k in state)) {
          state[key] = { [SIG]: SECRET_SIG, value: state[key] };
        }
        const struct = object.constructor as unknown as { fromJavaScript(v: unknown): ProtoStruct };
        res.setObject(struct.fromJavaScript(state));
      }
      callback(err, res);
    });
  };
  let program: Record<string, unknown>;
  try {
    program = (await options.load()) as Record<string, unknown>;
  } catch (e) {
    // What the program registered before it failed reaches the monitor before we report.
    await pulumi.runtime.disconnect();
    throw e;
  }
  const exports: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) {
    exports[key] = await resolve(value);
  }
  await pulumi.runtime.disconnect();
  entries.sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
  return { entries, exports };
}

/**
 * The value of a (possibly nested) Output, secrets masked. Inside an Output, an undefined value
 * is one only the real resource would provide (an id, a path GitLab assigns): unknown in a plan.
 * Outside, undefined is simply absent (an add-on that is not enabled).
 */
async function resolve(value: unknown, insideOutput = false): Promise<unknown> {
  if (value === undefined && insideOutput) {
    return UNKNOWN_MARKER;
  }
  if (pulumi.Output.isInstance(value)) {
    const output = value;
    if (await pulumi.isSecret(output)) {
      return SECRET_MARKER;
    }
    const resolved = await new Promise<unknown>((done) => output.apply((v) => done(v)));
    return resolve(resolved, true);
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map((v) => resolve(v, insideOutput)));
  }
  if (value !== null && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolve(v, insideOutput)] as const),
    );
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}
