/**
 * The stack configuration's parsing, without Pulumi: raw values are validated in one pass, the
 * keys' namespaces, every key's own rules (stacks/config-schema.ts) and the rules between keys
 * (stacks/config-rules.ts), and every problem is reported at once, each naming the key, the value
 * and what is allowed. Pure, so that the plan reports a broken stack before Pulumi's SDK loads;
 * stacks/config.ts turns the problems into a `pulumi.RunError` for the program.
 */
import type { z } from 'zod';
import { show } from '../constructs/names';
import { CROSS_RULES, type ConfigKey, type Parsed } from './config-rules';
import { configSchema, PROJECT } from './config-schema';

export { PROJECT } from './config-schema';

/** The problems of a stack's configuration, and where it comes from when the reader knows it. */
export class ConfigProblems extends Error {
  constructor(
    public readonly problems: readonly string[],
    source?: string,
  ) {
    super(configMessage(problems, source));
    this.name = 'ConfigProblems';
  }
}

/** The message of a configuration's problems: one line each. */
export function configMessage(problems: readonly string[], source?: string): string {
  return `Invalid stack configuration${source !== undefined ? ` in ${source}` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

/** Keys whose values are secret: never shown in messages, never part of PlatformConfig. */
export const SECRET_KEYS = ['gitlabAdminToken'] as const;
type SecretKey = (typeof SECRET_KEYS)[number];

/** Keys whose values are objects: Pulumi.yaml cannot declare a type for them. */
export const OBJECT_KEYS = ['gitlabCustomerGroups'] as const;

/** The validated, frozen configuration every component receives (secrets excluded). */
export type PlatformConfig = DeepReadonly<Omit<Parsed, SecretKey> & { backstageHost: string }>;
type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The config keys, for reading them and for the tests that compare them with Pulumi.yaml. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** Keys whose raw value is JSON (everything else is a plain string). */
const JSON_KEYS = new Set<string>(['enabledAddons', ...OBJECT_KEYS]);

/**
 * The namespaces a stack's config may use besides this project's. `pulumi:` keys are the
 * engine's own settings (`pulumi:disable-default-providers`, `pulumi:tags`), read by the Pulumi
 * CLI, not by the program. Keys of a provider's namespace configure only that provider's
 * default provider (pulumi/pulumi pkg/resource/deploy/default_providers.go:
 * `GetPackageConfig(req.Package())` becomes the default provider's inputs); this program gives
 * every Kubernetes and GitLab resource an explicit provider, configured from `platform:` keys,
 * and @pulumi/random has no settings, so such a key would be silently ignored: an error here.
 */
export const OTHER_NAMESPACES = ['pulumi'] as const;
const PROVIDER_NAMESPACES: Readonly<Record<string, string>> = {
  kubernetes: `every Kubernetes resource uses the stack's explicit provider, set with ${PROJECT}:kubeContext`,
  gitlab: `every GitLab resource uses the stack's explicit provider, set with ${PROJECT}:gitlabUrl and ${PROJECT}:gitlabAdminToken`,
  random: 'the random provider has no settings',
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Said for an issue no schema words itself (every schema should: a test feeds them all). */
function fallback(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `a value of type ${issue.expected}`;
    case 'too_small':
      return `at least ${String(issue.minimum)}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}`;
    default:
      return "a valid value (see the README's configuration reference)";
  }
}

/** `platform:key[0].field` */
function where(key: string, nested: readonly PropertyKey[]): string {
  return `${PROJECT}:${key}${nested.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}

/**
 * One key's value, parsed, or its problems, each naming the key (and field), the value and what
 * is allowed.
 */
function parseKey(
  key: ConfigKey,
  value: unknown,
  raw: string | undefined,
): { ok: true; data: unknown } | { ok: false; problems: string[] } {
  const result = configSchema.shape[key].safeParse(value, { error: fallback });
  if (result.success) {
    return { ok: true, data: result.data };
  }
  const problems = result.error.issues.flatMap((issue) => {
    // A field a strict object does not have: the problem is that field's.
    const paths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return paths.map((nested) => {
      const at = where(key, nested);
      if ((SECRET_KEYS as readonly string[]).includes(key)) {
        return `${at} is not allowed (value not shown: it is secret); expected ${issue.message}`;
      }
      const found = nested.reduce<unknown>(
        (node, p) =>
          node !== null && typeof node === 'object'
            ? (node as Record<PropertyKey, unknown>)[p]
            : undefined,
        value,
      );
      if (found === undefined) {
        return `${at} is required; expected ${issue.message}`;
      }
      return `${at}: ${show(nested.length > 0 ? found : raw)} is not allowed; expected ${issue.message}`;
    });
  });
  return { ok: false, problems };
}

/**
 * Parses raw config values (strings as Pulumi stores them, keyed without the project prefix).
 * Pure: the plan and the tests call it with plain objects.
 */
export function parseConfig(raw: Readonly<Record<string, string | undefined>>): PlatformConfig {
  return validate(raw, []);
}

/** Every problem of `raw`, after those already found (`problems`), or the configuration. */
function validate(
  raw: Readonly<Record<string, string | undefined>>,
  problems: string[],
): PlatformConfig {
  for (const key of Object.keys(raw)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      problems.push(
        `${PROJECT}:${key} is not a known setting; known settings: ${CONFIG_KEYS.join(', ')}`,
      );
    }
  }
  const valid: Partial<Record<ConfigKey, unknown>> = {};
  const validKeys = new Set<ConfigKey>();
  for (const key of CONFIG_KEYS) {
    const text = raw[key];
    let value: unknown = text;
    if (text !== undefined && JSON_KEYS.has(key)) {
      try {
        value = JSON.parse(text);
      } catch {
        // Not JSON: the schema says what a list looks like.
      }
    }
    const result = parseKey(key, value, text);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    validKeys.add(key);
    if (result.data !== undefined) {
      valid[key] = result.data;
    }
  }
  for (const rule of CROSS_RULES) {
    if (rule.reads.every((k) => validKeys.has(k))) {
      problems.push(...rule.check(valid as Partial<Parsed>));
    }
  }
  if (problems.length > 0) {
    throw new ConfigProblems(problems);
  }
  const parsed = valid as Parsed;
  const { gitlabAdminToken: _secret, ...config } = parsed;
  return deepFreeze({
    ...config,
    backstageHost: parsed.backstageHost ?? `backstage.${parsed.baseDomain}`,
  });
}

/**
 * Problems of keys outside this project's namespace: an unknown namespace (a typo such as
 * `platfrom:`), or a provider's namespace whose keys nothing here reads (see OTHER_NAMESPACES).
 */
function namespaceProblems(keys: readonly string[]): string[] {
  return keys.flatMap((full) => {
    const colon = full.indexOf(':');
    const namespace = colon < 0 ? '' : full.slice(0, colon);
    const name = full.slice(colon + 1);
    if (namespace === PROJECT || (OTHER_NAMESPACES as readonly string[]).includes(namespace)) {
      return [];
    }
    const provider = PROVIDER_NAMESPACES[namespace];
    if (provider !== undefined) {
      return [`${full} is not allowed: it would be ignored, since ${provider}`];
    }
    const guess = (CONFIG_KEYS as string[]).includes(name)
      ? ` (did you mean ${PROJECT}:${name}?)`
      : '';
    return [
      `${full} is not allowed: "${namespace}" is not a namespace of this stack; its settings are ${PROJECT}:<key>${guess}, and ${OTHER_NAMESPACES.map((n) => `${n}:<key>`).join(', ')} for the engine`,
    ];
  });
}

/**
 * A stack's whole configuration, keyed `<namespace>:<key>` as Pulumi passes it to the program:
 * namespaces, keys and the rules between them, all in one pass.
 */
export function parseStackConfig(
  all: Readonly<Record<string, string | undefined>>,
): PlatformConfig {
  return validate(projectSettings(all), namespaceProblems(Object.keys(all)));
}

/**
 * This project's settings from stack config keyed `platform:<key>`, keyed `<key>`. Keys of other
 * namespaces are not read here (parseStackConfig checks them).
 */
export function projectSettings<V extends string | undefined>(
  config: Readonly<Record<string, V>>,
): Record<string, V> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}
