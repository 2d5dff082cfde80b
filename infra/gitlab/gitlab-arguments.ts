/**
 * The GitLab settings GitlabPlatform is given, checked before it declares anything: the same rules
 * as the stack's configuration (stacks/config-schema.ts, stacks/config-rules.ts), for a component
 * used outside our stack.
 */
import { isDnsLabel } from '../../constructs/names';
import { ArgumentsChecker } from '../arguments';
import type { GitlabSettings } from './gitlab-spec';

export function checkGitlabSettings(
  component: string,
  name: string,
  args: GitlabSettings,
): ArgumentsChecker {
  const { platform, platformTeam, customers } = args.groups;
  const check = new ArgumentsChecker(component, name)
    .httpsUrl('gitlabUrl', args.gitlabUrl)
    .expect(
      isDnsLabel(platform),
      'groups.platform',
      platform,
      'a top-level group path (one segment) such as "platform"',
    );
  // A DNS label has no "/": the message says what the group tree needs.
  for (const [key, path] of [
    ['groups.platformTeam', platformTeam],
    ['groups.customers', customers],
  ] as const) {
    check.expect(
      path.startsWith(`${platform}/`) && path.split('/').length === 2,
      key,
      path,
      'a direct subgroup of groups.platform',
    );
    check.groupPath(key, path);
  }
  const seen = new Set<string>();
  args.customerGroups.forEach((g, i) => {
    check
      .dnsLabel(`customerGroups[${i}].path`, g.path, 'team-a')
      .expect(!seen.has(g.path), `customerGroups[${i}].path`, g.path, 'a path not listed before')
      .expect(
        g.name.length > 0 && g.name.length <= 255,
        `customerGroups[${i}].name`,
        g.name,
        'a non-empty name of at most 255 characters',
      );
    seen.add(g.path);
  });
  return check
    .host('backstageHost', args.backstageHost)
    .dnsLabel('claimsProject', args.claimsProject, 'claims')
    .expect(args.signInScopes.length > 0, 'signInScopes', args.signInScopes, 'at least one scope');
}
