/**
 * The platform APIs the generators describe (the claims repository's kinds, the portal's forms
 * and API entities). charts/platform.ts builds them (its PlatformCharts has this shape); the
 * generators read only the APIs' constructs, so that they do not depend on charts/.
 */
import type { DatabaseApi } from '../constructs/database/database';
import type { TeamNamespaceApi } from '../constructs/team-namespace/team-namespace';

export interface PlatformApis {
  readonly teamNamespace: { readonly api: TeamNamespaceApi };
  readonly database: { readonly api: DatabaseApi };
}
