/**
 * Validates catalog entities the way Backstage does: the catalog's entity policies and kind
 * validators from @backstage/catalog-model, and the Template validator from
 * @backstage/plugin-scaffolder-common. Each kind validator is the package's own JSON schema
 * of that kind (Component.v1alpha1.schema.json, Template.v1beta3.schema.json, ...) compiled by
 * the package, so an upgrade of a package upgrades the check with it.
 */
import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  NoForeignRootFieldsEntityPolicy,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  type Entity,
  type KindValidator,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';

const VALIDATORS: Readonly<Record<string, KindValidator>> = {
  API: apiEntityV1alpha1Validator,
  Component: componentEntityV1alpha1Validator,
  Group: groupEntityV1alpha1Validator,
  Location: locationEntityV1alpha1Validator,
  Resource: resourceEntityV1alpha1Validator,
  System: systemEntityV1alpha1Validator,
  Template: templateEntityV1beta3Validator,
  User: userEntityV1alpha1Validator,
};

const policies = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

/** Every problem Backstage would report for `entity` (empty when it is valid). */
export async function validateEntity(entity: unknown): Promise<string[]> {
  const e = entity as Entity;
  const problems: string[] = [];
  const where = `${e.kind}:${e.metadata?.name}`;
  try {
    await policies.enforce(structuredClone(e));
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  const validator = VALIDATORS[e.kind];
  if (validator === undefined) {
    return [...problems, `${where}: no validator for kind ${e.kind}`];
  }
  try {
    if (!(await validator.check(structuredClone(e)))) {
      problems.push(`${where}: not a ${e.apiVersion} ${e.kind}`);
    }
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  return problems;
}
