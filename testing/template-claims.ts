/**
 * The claims the portal's templates produce, from their real render path (testing/template-run.ts:
 * Backstage's own actions, offline), for the tests that hand them to the real engines.
 */
import { parse } from 'yaml';
import { type Manifest } from './cluster';
import { exampleParameters, runOnStack, type TemplateName } from './template-examples';
import { DEV_STACK } from './template-run';

export type Claim = Manifest;

/** The files a template's merge request adds, for the worked example or `parameters`. */
export async function templateFiles(
  name: TemplateName,
  parameters: Record<string, unknown> = exampleParameters(name, DEV_STACK),
): Promise<Record<string, string>> {
  const run = await runOnStack(name, DEV_STACK, parameters);
  if (run.rejected !== undefined)
    throw new Error(`${name}: form refused: ${run.rejected.join('; ')}`);
  if (run.failed !== undefined)
    throw new Error(`${name}: ${run.failed.step}: ${run.failed.error.message}`);
  return run.mergeRequestFiles ?? {};
}

/** The one claim (a YAML file under claims/) a template renders. */
export async function templateClaim(
  name: TemplateName,
  parameters?: Record<string, unknown>,
): Promise<Claim> {
  const files = Object.entries(await templateFiles(name, parameters)).filter(([p]) =>
    p.startsWith('claims/'),
  );
  if (files.length !== 1) throw new Error(`${name}: ${files.length} claims rendered`);
  return parse(files[0][1]) as Claim;
}
