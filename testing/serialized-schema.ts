/**
 * A serialized Backstage config schema, as `ConfigSchema.serialize()` returns it and
 * `loadConfigSchema({ serialized })` reads it: the JSON schemas `values`, each as one package's.
 */
import type { JsonObject } from '@backstage/types';

export function serializedSchema(...values: JsonObject[]): JsonObject {
  return {
    backstageConfigSchemaVersion: 1,
    schemas: values.map((value, i) => ({ path: `test-${i}`, value })),
  };
}
