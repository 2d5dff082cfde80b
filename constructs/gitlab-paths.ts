/**
 * Bounds on the GitLab group paths a stack is configured with. The software templates are the
 * same for every stack (stack values reach them through the scaffolder's default environment at
 * run time), so every name budget a form derives from a configured path is computed from these
 * bounds, and the stack configuration refuses longer paths (stacks/config-schema.ts).
 */

/**
 * The longest full path of a configured group (platform group, platform team group, customers
 * group). A customer group's path is `<customers group>/<name>`, written into the
 * TeamNamespace's `spec.owner` (at most 63 characters): 32 leaves its name 30 characters.
 */
export const CONFIGURED_GROUP_PATH_MAX_LENGTH = 32;
