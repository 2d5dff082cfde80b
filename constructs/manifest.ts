/**
 * A manifest built with the typed cdk8s classes (`KubeX.manifest()` returns `any`), as the plain
 * object that a composition's resource base or a Kro resource template embeds.
 */
export function manifest(json: unknown): Record<string, unknown> {
  return json as Record<string, unknown>;
}
