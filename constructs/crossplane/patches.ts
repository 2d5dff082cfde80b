/**
 * Small typed helpers for function-patch-and-transform patches, built on the types generated
 * from its input CRD (constructs/imports), so that every patch we write is checked by the
 * compiler against the real input schema.
 */
// Types only: the generated module is large and loading it would slow every synth down.
import type {
  ResourcesResourcesPatchesPolicyFromFieldPath as FromFieldPathPolicy,
  ResourcesResourcesPatchesTransformsConvertToType as ConvertToType,
  ResourcesResourcesPatchesTransformsStringType as StringTransformType,
  ResourcesResourcesPatchesTransformsType as TransformType,
  ResourcesResourcesPatchesType as PatchType,
  ResourcesResourcesReadinessChecksType as ReadinessCheckType,
  ResourcesResourcesPatches as Patch,
  ResourcesResourcesPatchesTransforms as Transform,
  ResourcesResourcesReadinessChecks as ReadinessCheck,
} from '../imports/crossplane-pt-pt.fn.crossplane.io';

export type { Patch, ReadinessCheck, Transform };

/**
 * A member of a generated string enum, written as its value: the compiler checks the value
 * against the enum without the enum's module being loaded at run time.
 */
export function enumValue<E extends string>(value: `${E}`): E {
  return value as unknown as E;
}

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
    type: enumValue<PatchType>('FromCompositeFieldPath'),
    fromFieldPath: from,
    toFieldPath: to,
    ...(options.transforms !== undefined ? { transforms: [...options.transforms] } : {}),
    ...(options.required === true
      ? { policy: { fromFieldPath: enumValue<FromFieldPathPolicy>('Required') } }
      : {}),
  };
}

/** Copies a field of the observed composed resource into the XR (usually its status). */
export function toXr(from: string, to: string, transforms?: readonly Transform[]): Patch {
  return {
    type: enumValue<PatchType>('ToCompositeFieldPath'),
    fromFieldPath: from,
    toFieldPath: to,
    ...(transforms !== undefined ? { transforms: [...transforms] } : {}),
  };
}

/** `fmt` with `%s` replaced by the value (Go `fmt.Sprintf`). */
export function format(fmt: string): Transform {
  return {
    type: enumValue<TransformType>('string'),
    string: { type: enumValue<StringTransformType>('Format'), fmt },
  };
}

/** The `group`-th capture group of the RE2 expression `match` (the whole value must match). */
export function regexpGroup(match: string, group: number): Transform {
  return {
    type: enumValue<TransformType>('string'),
    string: { type: enumValue<StringTransformType>('Regexp'), regexp: { match, group } },
  };
}

/** Looks the value up in `table` (the value must be one of its keys). */
export function lookup(table: Readonly<Record<string, string | number>>): Transform {
  return { type: enumValue<TransformType>('map'), map: { ...table } };
}

/** Converts between scalar types (`"true"` to `true`, `20` to `"20"`, ...). */
export function convert(toType: 'string' | 'bool' | 'int64'): Transform {
  return {
    type: enumValue<TransformType>('convert'),
    convert: { toType: enumValue<ConvertToType>(toType) },
  };
}

/** Ready when the string at `fieldPath` equals `value`. */
export function readyWhenString(fieldPath: string, value: string): ReadinessCheck {
  return { type: enumValue<ReadinessCheckType>('MatchString'), fieldPath, matchString: value };
}

/** Ready when `fieldPath` is set. */
export function readyWhenSet(fieldPath: string): ReadinessCheck {
  return { type: enumValue<ReadinessCheckType>('NonEmpty'), fieldPath };
}

/** Ready as soon as the resource exists (kinds that report no status). */
export const READY_WHEN_EXISTS: ReadinessCheck = { type: enumValue<ReadinessCheckType>('None') };
