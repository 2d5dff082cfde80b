/**
 * Template forms derived from the platform APIs they target. The scaffolder backend validates
 * task parameters against the parameters' JSON Schema (custom UI validators only run in the
 * browser), so every constraint the API enforces is carried into the form: types, enums,
 * defaults, bounds, patterns, required fields, and the name rules of the objects the API derives
 * from the claim's name.
 */
import { RESERVED_NAMESPACES_TEXT, TEAM_NAMESPACE_PATTERN } from '../namespaces';
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_PATTERN } from '../names';
import type { OpenApiSchema } from '../openapi';

/** The schema keywords a form field takes over from the API's schema as they are. */
const COPIED_KEYWORDS = [
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'maxItems',
] as const;

/** A JSON Schema property of a template form, with the scaffolder's `ui:*` hints. */
export interface FormField extends Pick<
  OpenApiSchema,
  'description' | (typeof COPIED_KEYWORDS)[number]
> {
  readonly title?: string;
  readonly type?: string;
  readonly uniqueItems?: boolean;
  readonly items?: FormField;
  readonly properties?: Readonly<Record<string, FormField>>;
  readonly required?: readonly string[];
  readonly [uiHint: `ui:${string}`]: unknown;
}

/** `requestsCpu` -> `Requests cpu`: a readable title for a field without one. */
export function titleOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The form field for an API field: every constraint of the schema, a title, and `ui` hints on
 * top. Objects keep their `required` list; unknown schema keywords are an error, so that a new
 * constraint in an API cannot be silently dropped from its form.
 */
export function formField(
  key: string,
  schema: OpenApiSchema,
  ui: Readonly<Record<`ui:${string}`, unknown>> & { title?: string } = {},
): FormField {
  const known = new Set<string>([
    ...COPIED_KEYWORDS,
    'description',
    'type',
    'items',
    'properties',
    'required',
    // Kubernetes-only keywords, enforced by the API server; sets become uniqueItems below.
    'x-kubernetes-list-type',
    'x-kubernetes-validations',
  ]);
  const unknown = Object.keys(schema).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(
      `formField ${key}: schema keyword(s) ${unknown.join(', ')} have no form equivalent; map them in constructs/templates/form.ts`,
    );
  }
  // Transition rules (they compare with oldSelf, e.g. immutability) only apply to updates; a
  // form creates. Any other rule would accept values the API server then rejects.
  const creationRules = (schema['x-kubernetes-validations'] ?? []).filter(
    (r) => !r.rule.includes('oldSelf'),
  );
  if (creationRules.length > 0) {
    throw new Error(
      `formField ${key}: CEL rules (${creationRules.map((r) => r.rule).join('; ')}) cannot be checked by the scaffolder; express them as JSON Schema constraints or leave the field out of the form`,
    );
  }
  const { title, ...hints } = ui;
  const field: Record<string, unknown> = {
    title: title ?? titleOf(key),
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    ...(schema.type !== undefined ? { type: schema.type } : {}),
  };
  for (const k of COPIED_KEYWORDS) {
    if (schema[k] !== undefined) {
      field[k] = schema[k];
    }
  }
  if (schema['x-kubernetes-list-type'] === 'set') {
    field.uniqueItems = true;
  }
  if (schema.items !== undefined) {
    const { title: _itemTitle, ...item } = formField(`${key}[]`, schema.items);
    field.items = item;
  }
  if (schema.properties !== undefined) {
    field.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, s]) => [k, formField(k, s)]),
    );
  }
  if (schema.required !== undefined && schema.required.length > 0) {
    field.required = [...schema.required];
  }
  return { ...field, ...hints };
}

/**
 * The name of a claim: a DNS-1123 label short enough that every name the API derives from it
 * (the claim's name plus the longest suffix it appends) is still a valid label.
 */
export function nameField(
  title: string,
  description: string,
  maxLength: number,
  pattern: string = DNS1123_LABEL_PATTERN,
): FormField {
  const start = pattern === DNS1035_LABEL_PATTERN ? 'a letter' : 'a letter or digit';
  const reserved = pattern === TEAM_NAMESPACE_PATTERN ? ` ${RESERVED_NAMESPACES_TEXT}.` : '';
  return {
    title,
    description: `${description} Lowercase letters, digits and '-', starting with ${start} and ending with a letter or digit, at most ${maxLength} characters.${reserved}`,
    type: 'string',
    pattern,
    minLength: 1,
    maxLength,
    'ui:autofocus': true,
  };
}

/** A team namespace the claim goes into (or the service runs in): never a reserved one. */
export function namespaceField(title: string, description: string): FormField {
  const { 'ui:autofocus': _, ...field } = nameField(
    title,
    description,
    DNS1123_LABEL_MAX_LENGTH,
    TEAM_NAMESPACE_PATTERN,
  );
  return field;
}

/**
 * A full entity reference of one kind, as the entity pickers give it (`group:default/team-a`):
 * the scaffolder checks the form against this schema before any step runs, so a reference that
 * could not even be parsed, or names another kind, is refused with a 400 at once. Entity names
 * may use '_' and '.' inside; kind and namespace are lowercase, as the pickers write them.
 */
export function entityRefPattern(kind: string): string {
  return `^${kind.toLowerCase()}:[a-z0-9]([-a-z0-9]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`;
}

/**
 * An entity picker field for `kind`. The picker offers only entities of that kind and no free
 * text; the pattern holds the same for callers of the API, and a catalog check step confirms
 * the entity exists (the picker's options are a UI hint the backend never sees).
 */
export function entityRefField(
  kind: string,
  field: Omit<FormField, 'type' | 'pattern'> & { readonly 'ui:field': string },
  catalogFilter: Readonly<Record<string, unknown>> = {},
): FormField {
  return {
    ...field,
    type: 'string',
    pattern: entityRefPattern(kind),
    // 'group:' + namespace + '/' + name, each at most 63 characters.
    maxLength: kind.length + 1 + 2 * DNS1123_LABEL_MAX_LENGTH + 1,
    'ui:options': { catalogFilter: [{ kind, ...catalogFilter }], allowArbitraryValues: false },
  };
}
