/**
 * Validates catalog entities the way Backstage does: the catalog's entity policies and kind
 * validators from @backstage/catalog-model (and the Template validator from
 * @backstage/plugin-scaffolder-common), plus the published JSON schemas in
 * ../shared/schemas/backstage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
import Ajv, { type ValidateFunction } from 'ajv';
import { SHARED_SCHEMAS } from './schemas';

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

const SCHEMA_FILES: Readonly<Record<string, string>> = {
  API: 'catalog-model/API.v1alpha1.schema.json',
  Component: 'catalog-model/Component.v1alpha1.schema.json',
  Group: 'catalog-model/Group.v1alpha1.schema.json',
  Location: 'catalog-model/Location.v1alpha1.schema.json',
  Resource: 'catalog-model/Resource.v1alpha1.schema.json',
  System: 'catalog-model/System.v1alpha1.schema.json',
  Template: 'Template.v1beta3.schema.json',
  User: 'catalog-model/User.v1alpha1.schema.json',
};

const policies = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function schemaValidator(kind: string): ValidateFunction {
  let validate = compiled.get(kind);
  if (validate === undefined) {
    if (ajv === undefined) {
      ajv = new Ajv({ allErrors: true, strict: false, logger: false });
      for (const file of ['Entity', 'EntityMeta', 'common']) {
        ajv.addSchema(
          JSON.parse(
            fs.readFileSync(
              path.join(SHARED_SCHEMAS, 'backstage', 'catalog-model', `${file}.schema.json`),
              'utf8',
            ),
          ) as object,
        );
      }
    }
    validate = ajv.compile(
      JSON.parse(
        fs.readFileSync(path.join(SHARED_SCHEMAS, 'backstage', SCHEMA_FILES[kind]), 'utf8'),
      ) as object,
    );
    compiled.set(kind, validate);
  }
  return validate;
}

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
  const validate = schemaValidator(e.kind);
  if (!validate(e)) {
    for (const err of validate.errors ?? []) {
      problems.push(`${where}: ${err.instancePath} ${err.message ?? ''}`);
    }
  }
  return problems;
}
