/**
 * The shapes of values that both the stack's configuration schema (stacks/config-schema.ts) and
 * the components' own argument checks (arguments.ts) accept: one place for each rule. Plain data,
 * no Pulumi: the configuration is validated without loading the SDK.
 */
/** An exact version, as charts are pinned (`1.2.3`). */
export const SEMVER_PATTERN = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
/**
 * An image repository with its registry and without tag: the first segment is a registry host
 * (it has a dot or a port, or is `localhost`), since the chart's values take the registry apart.
 */
export const IMAGE_REPOSITORY_PATTERN =
  /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9.-]+:[0-9]+)(:[0-9]+)?(\/[a-z0-9._-]+)+$/;
/** An exact tag (not `latest`) or a sha256 digest. */
export const IMAGE_TAG_PATTERN =
  /^((?!latest$)[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$/;
/** An https URL of a host, with an optional port, without path or trailing slash. */
export const HTTPS_URL_PATTERN = /^https:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/;
/** A volume size in Gi. */
export const GI_SIZE_PATTERN = /^[1-9][0-9]{0,4}Gi$/;
/** An `s3://bucket/path` destination. */
export const S3_PATH_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._-]+)*\/?$/;
/** A Backstage group entity reference (`group:default/platform-team`). */
export const GROUP_REF_PATTERN =
  /^group:[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$/;
