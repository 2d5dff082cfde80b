import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  TeamNamespaceApi,
  type TeamNamespaceApiProps,
} from '../constructs/team-namespace/team-namespace';
import type { CrossplaneFunctionsChart } from './crossplane-functions';

export interface TeamNamespaceChartProps extends ChartProps {
  /** The Functions the composition's pipeline calls. */
  readonly functions: CrossplaneFunctionsChart;
  /**
   * Settings of the API itself.
   * @default the TeamNamespaceApi defaults
   */
  readonly api?: Omit<TeamNamespaceApiProps, 'patchAndTransformFunction' | 'autoReadyFunction'>;
}

/** The team-namespace platform API: XRD, Composition, Crossplane RBAC, deletion protection. */
export class TeamNamespaceChart extends Chart {
  public readonly api: TeamNamespaceApi;

  constructor(scope: Construct, id: string, props: TeamNamespaceChartProps) {
    super(scope, id, props);
    this.api = new TeamNamespaceApi(this, 'TeamNamespace', {
      ...props.api,
      patchAndTransformFunction: props.functions.patchAndTransform.functionName,
      autoReadyFunction: props.functions.autoReady.functionName,
    });
    // The composition's pipeline needs the Functions installed first.
    this.addDependency(props.functions);
  }
}
