import type { App } from 'cdk8s';
import { CrossplaneFunctionsChart } from './crossplane-functions';
import { DatabaseChart } from './database';
import { TeamNamespaceChart } from './team-namespace';

export interface PlatformCharts {
  readonly functions: CrossplaneFunctionsChart;
  readonly teamNamespace: TeamNamespaceChart;
  readonly database: DatabaseChart;
}

/**
 * Every chart of the platform, in one app. The synth entry point and the Pulumi program both
 * call this, so dist/ and what `pulumi up` applies come from the same objects.
 */
export function buildPlatformCharts(app: App): PlatformCharts {
  const functions = new CrossplaneFunctionsChart(app, 'crossplane-functions');
  const teamNamespace = new TeamNamespaceChart(app, 'team-namespace', { functions });
  // Databases are admitted only in the namespaces the TeamNamespace API makes.
  const database = new DatabaseChart(app, 'database', {
    api: { teamNamespaceLabel: teamNamespace.api.ownerLabel },
  });
  return { functions, teamNamespace, database };
}
