/**
 * A Backstage software template (`scaffolder.backstage.io/v1beta3` Template entity) with its
 * skeleton files, as a construct. The entity is a cdk8s ApiObject, so it is synthesized with the
 * rest of the platform; the skeleton files are kept beside it and written next to the entity's
 * `template.yaml` (fetch:template reads them relative to it).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsLabel } from '../names';
import { PropsChecker } from '../validation';
import type { FormField } from './form';

export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';

/** One page of a template's form. */
export interface FormPage {
  readonly title: string;
  readonly description?: string;
  /** Fields in the order the form shows them. */
  readonly fields: Readonly<Record<string, FormField>>;
  readonly required?: readonly string[];
}

/** A step of a template: an action with its input. */
export interface TemplateStep {
  /** camelCase, unique in the template. */
  readonly id: string;
  readonly name: string;
  readonly action: string;
  readonly input?: Readonly<Record<string, unknown>>;
  readonly if?: string;
}

export interface SoftwareTemplateProps {
  /** The entity name, also the template's folder in dist/templates/. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** Entity ref of the owner. */
  readonly owner: string;
  /** What it creates (shown as a filter in the portal), e.g. `platform-claim`, `service`. */
  readonly type: string;
  readonly pages: readonly FormPage[];
  readonly steps: readonly TemplateStep[];
  readonly output?: Readonly<Record<string, unknown>>;
  /** Skeleton files by path (relative to `skeleton/`); paths and contents may use `${{ values.* }}`. */
  readonly skeleton: Readonly<Record<string, string>>;
}

const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

export class SoftwareTemplate extends Construct {
  public readonly name: string;
  public readonly entity: ApiObject;
  public readonly skeleton: Readonly<Record<string, string>>;
  public readonly steps: readonly TemplateStep[];
  public readonly pages: readonly FormPage[];

  constructor(scope: Construct, id: string, props: SoftwareTemplateProps) {
    super(scope, id);
    const check = new PropsChecker(`SoftwareTemplate ${this.node.path}`);
    check.expect(isDnsLabel(props.name), 'name', props.name, 'a DNS-1123 label');
    const ids = props.steps.map((s) => s.id);
    for (const stepId of ids) {
      check.expect(CAMEL_CASE.test(stepId), 'steps[].id', stepId, 'a camelCase identifier');
    }
    check.expect(
      new Set(ids).size === ids.length,
      'steps[].id',
      ids,
      'ids that are unique in the template',
    );
    for (const page of props.pages) {
      for (const field of page.required ?? []) {
        check.expect(
          field in page.fields,
          `pages["${page.title}"].required`,
          field,
          `one of the page's fields (${Object.keys(page.fields).join(', ')})`,
        );
      }
    }
    check.done();

    this.name = props.name;
    this.skeleton = props.skeleton;
    this.steps = props.steps;
    this.pages = props.pages;
    this.entity = new ApiObject(this, 'Template', {
      apiVersion: TEMPLATE_API_VERSION,
      kind: 'Template',
      metadata: { name: props.name },
    });
    this.entity.addJsonPatch(
      JsonPatch.add('/metadata/title', props.title),
      JsonPatch.add('/metadata/description', props.description),
      JsonPatch.add('/metadata/tags', [...props.tags]),
      JsonPatch.add('/spec', {
        owner: props.owner,
        type: props.type,
        parameters: props.pages.map((page) => ({
          title: page.title,
          ...(page.description !== undefined ? { description: page.description } : {}),
          ...(page.required !== undefined && page.required.length > 0
            ? { required: [...page.required] }
            : {}),
          properties: page.fields,
          // Keys are sorted when synthesized; the form keeps the order the page declares.
          'ui:order': Object.keys(page.fields),
        })),
        steps: props.steps.map((s) => ({ ...s })),
        ...(props.output !== undefined ? { output: props.output } : {}),
      }),
    );
  }

  /**
   * The GitLab scopes the template asks the user's sign-in for (RepoUrlPicker's
   * `requestUserCredentials`); the OAuth application must allow them.
   */
  public get requestedScopes(): string[] {
    interface Options {
      requestUserCredentials?: { additionalScopes?: { gitlab?: unknown } };
    }
    const scopes = new Set<string>();
    for (const field of this.pages.flatMap((p) => Object.values(p.fields))) {
      const gitlab = (field['ui:options'] as Options | undefined)?.requestUserCredentials
        ?.additionalScopes?.gitlab;
      for (const scope of Array.isArray(gitlab) ? gitlab : []) {
        scopes.add(String(scope));
      }
    }
    return [...scopes].sort();
  }
}
