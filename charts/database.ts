import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { DatabaseApi, type DatabaseApiProps } from '../constructs/database/database';

export interface DatabaseChartProps extends ChartProps {
  /**
   * Settings of the API itself.
   * @default the DatabaseApi defaults
   */
  readonly api?: DatabaseApiProps;
}

/**
 * The database platform API: the Kro ResourceGraphDefinition, Kro's RBAC for it, the admission
 * policies that protect instances and their volumes against deletion, and the one that admits
 * instances in team namespaces only.
 */
export class DatabaseChart extends Chart {
  public readonly api: DatabaseApi;

  constructor(scope: Construct, id: string, props: DatabaseChartProps = {}) {
    super(scope, id, props);
    this.api = new DatabaseApi(this, 'Database', props.api);
  }
}
