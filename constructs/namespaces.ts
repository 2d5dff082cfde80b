/**
 * Namespaces no team may claim: those Kubernetes reserves and those the platform itself runs in
 * or trusts. A TeamNamespace named like one of them would take over an existing namespace
 * (Crossplane adopts nothing, but the claim's RoleBindings and NetworkPolicies would land in it)
 * or be admitted where only the platform is (the portal's NetworkPolicy admits traffic from the
 * ingress controller's namespace by name). One list feeds the XRD's CEL rule and every form field
 * that names a namespace.
 */
import { DNS1123_LABEL_PATTERN } from './names';

/** Kubernetes reserves `kube-*` (kube-system, kube-public, kube-node-lease) for itself. */
export const RESERVED_NAMESPACE_PREFIXES: readonly string[] = ['kube-'];

/**
 * Namespaces that are not team namespaces: Kubernetes' `default`, the namespaces the stack
 * installs the platform into (a test holds this list against every Namespace in the offline
 * plan, and every namespace the plan's NetworkPolicies admit by name), and the cluster add-ons
 * the stack expects (the ingress controller, cert-manager).
 */
export const RESERVED_NAMESPACES: readonly string[] = [
  'backstage',
  'cert-manager',
  'cnpg-system',
  'crossplane-system',
  'default',
  'gitlab-agent',
  'ingress-nginx',
  'kro-system',
];

/** True when `name` is reserved for Kubernetes or the platform. */
export function isReservedNamespace(name: string): boolean {
  return (
    RESERVED_NAMESPACES.includes(name) ||
    RESERVED_NAMESPACE_PREFIXES.some((prefix) => name.startsWith(prefix))
  );
}

/**
 * A DNS-1123 label that is not a reserved namespace, as one regular expression (the form's JSON
 * Schema has no other way to exclude values with a readable message than its description).
 */
export const TEAM_NAMESPACE_PATTERN = `^${[
  ...RESERVED_NAMESPACE_PREFIXES.map((p) => `(?!${p})`),
  `(?!(?:${RESERVED_NAMESPACES.join('|')})$)`,
].join('')}${DNS1123_LABEL_PATTERN.slice(1)}`;

/** The CEL condition an API server evaluates for a namespace name `expr`. */
export function unreservedNamespaceRule(expr: string): string {
  return [
    ...RESERVED_NAMESPACE_PREFIXES.map((p) => `!${expr}.startsWith('${p}')`),
    `!(${expr} in [${RESERVED_NAMESPACES.map((n) => `'${n}'`).join(', ')}])`,
  ].join(' && ');
}

/** What the form and the API say about reserved names. */
export const RESERVED_NAMESPACES_TEXT = `${RESERVED_NAMESPACE_PREFIXES.map((p) => `${p}*`).join(', ')} and ${RESERVED_NAMESPACES.join(', ')} are reserved for Kubernetes and the platform`;
