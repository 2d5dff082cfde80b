/**
 * Kubernetes name rules and name budgets, as pure functions shared by the constructs (which
 * validate their props with them) and by the software templates (which turn them into form
 * constraints, because the scaffolder validates parameters only against their JSON Schema).
 */

/** The longest DNS-1123 label (namespace names, most object names, label values). */
export const DNS1123_LABEL_MAX_LENGTH = 63;

/** The longest DNS-1123 subdomain (CRD names, API groups). */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric. */
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** A DNS-1035 label (Service names): like DNS-1123, but it must start with a letter. */
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/** A DNS-1123 subdomain: dot-separated DNS-1123 labels. */
export const DNS1123_SUBDOMAIN_PATTERN =
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** A Kubernetes API version such as `v1`, `v1alpha1`, `v2beta3`. */
export const API_VERSION_PATTERN = '^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$';

/** A Kubernetes kind: UpperCamelCase, alphanumeric. */
export const KIND_PATTERN = '^[A-Z][A-Za-z0-9]*$';

const dnsLabel = new RegExp(DNS1123_LABEL_PATTERN);
const dns1035Label = new RegExp(DNS1035_LABEL_PATTERN);
const dnsSubdomain = new RegExp(DNS1123_SUBDOMAIN_PATTERN);

/** True when `value` is a DNS-1123 label of at most `maxLength` characters. */
export function isDnsLabel(value: string, maxLength: number = DNS1123_LABEL_MAX_LENGTH): boolean {
  return value.length <= maxLength && dnsLabel.test(value);
}

/** True when `value` is a DNS-1035 label of at most `maxLength` characters. */
export function isDns1035Label(
  value: string,
  maxLength: number = DNS1123_LABEL_MAX_LENGTH,
): boolean {
  return value.length <= maxLength && dns1035Label.test(value);
}

/** True when `value` is a DNS-1123 subdomain. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && dnsSubdomain.test(value);
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * True when `value` is a label key: an optional DNS-subdomain prefix and `/`, then a name of at
 * most 63 alphanumerics, '-', '_' and '.' (apimachinery's IsQualifiedName).
 */
export function isLabelKey(value: string): boolean {
  const slash = value.lastIndexOf('/');
  const name = slash < 0 ? value : value.slice(slash + 1);
  const prefix = slash < 0 ? undefined : value.slice(0, slash);
  return (
    name.length <= DNS1123_LABEL_MAX_LENGTH &&
    LABEL_NAME.test(name) &&
    (prefix === undefined || isDnsSubdomain(prefix))
  );
}

/**
 * The longest name an object may have when other objects are named after it with the given
 * suffixes, so that every derived name still fits `limit` characters.
 */
export function nameBudget(suffixes: readonly string[], limit = DNS1123_LABEL_MAX_LENGTH): number {
  const longest = Math.max(0, ...suffixes.map((s) => s.length));
  return limit - longest;
}

/** `value` rendered for an error message: JSON, so that empty strings and spaces are visible. */
export function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
