/**
 * Small typed helpers for function-patch-and-transform patches, built on the types generated
 * from its input CRD (constructs/imports), so that every patch we write is checked by the
 * compiler against the real input schema.
 */
import {
  ResourcesResourcesPatchesPolicyFromFieldPath as FromFieldPathPolicy,
  ResourcesResourcesPatchesTransformsConvertToType as ConvertToType,
  ResourcesResourcesPatchesTransformsStringType as StringTransformType,
  ResourcesResourcesPatchesTransformsType as TransformType,
  ResourcesResourcesPatchesType as PatchType,
  ResourcesResourcesReadinessChecksType as ReadinessCheckType,
  type ResourcesResourcesPatches as Patch,
  type ResourcesResourcesPatchesTransforms as Transform,
  type ResourcesResourcesReadinessChecks as ReadinessCheck,
} from '../imports/crossplane-pt-pt.fn.crossplane.io';

export type { Patch, ReadinessCheck, Transform };

export interface FromXrOptions {
  readonly transforms?: readonly Transform[];
  /**
   * When true and the XR lacks `from`, function-patch-and-transform does not compose the
   * resource at all (it reports a warning). Used for optional resources.
   * @default false
   */
  readonly required?: boolean;
}

/** Copies a field of the composite resource (XR) into the composed resource. */
export function fromXr(from: string, to: string, options: FromXrOptions = {}): Patch {
  return {
    type: PatchType.FROM_COMPOSITE_FIELD_PATH,
    fromFieldPath: from,
    toFieldPath: to,
    ...(options.transforms !== undefined ? { transforms: [...options.transforms] } : {}),
    ...(options.required === true
      ? { policy: { fromFieldPath: FromFieldPathPolicy.REQUIRED } }
      : {}),
  };
}

/** Copies a field of the observed composed resource into the XR (usually its status). */
export function toXr(from: string, to: string, transforms?: readonly Transform[]): Patch {
  return {
    type: PatchType.TO_COMPOSITE_FIELD_PATH,
    fromFieldPath: from,
    toFieldPath: to,
    ...(transforms !== undefined ? { transforms: [...transforms] } : {}),
  };
}

/** `fmt` with `%s` replaced by the value (Go `fmt.Sprintf`). */
export function format(fmt: string): Transform {
  return { type: TransformType.STRING, string: { type: StringTransformType.FORMAT, fmt } };
}

/** The `group`-th capture group of the RE2 expression `match` (the whole value must match). */
export function regexpGroup(match: string, group: number): Transform {
  return {
    type: TransformType.STRING,
    string: { type: StringTransformType.REGEXP, regexp: { match, group } },
  };
}

/** Looks the value up in `table` (the value must be one of its keys). */
export function lookup(table: Readonly<Record<string, string | number>>): Transform {
  return { type: TransformType.MAP, map: { ...table } };
}

/** Converts between scalar types (`"true"` to `true`, `20` to `"20"`, ...). */
export function convert(toType: 'string' | 'bool' | 'int64'): Transform {
  const types = {
    string: ConvertToType.STRING,
    bool: ConvertToType.BOOL,
    int64: ConvertToType.INT64,
  };
  return { type: TransformType.CONVERT, convert: { toType: types[toType] } };
}

/** Ready when the string at `fieldPath` equals `value`. */
export function readyWhenString(fieldPath: string, value: string): ReadinessCheck {
  return { type: ReadinessCheckType.MATCH_STRING, fieldPath, matchString: value };
}

/** Ready when `fieldPath` is set. */
export function readyWhenSet(fieldPath: string): ReadinessCheck {
  return { type: ReadinessCheckType.NON_EMPTY, fieldPath };
}

/** Ready as soon as the resource exists (kinds that report no status). */
export const READY_WHEN_EXISTS: ReadinessCheck = { type: ReadinessCheckType.NONE };
