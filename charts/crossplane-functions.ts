import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { CrossplaneFunction } from '../constructs/crossplane/function';
import { FunctionRuntimeConfig } from '../constructs/crossplane/runtime-config';
import { versions } from '../versions';

/** The composition functions every platform composition uses, pinned, with their runtime config. */
export class CrossplaneFunctionsChart extends Chart {
  public readonly patchAndTransform: CrossplaneFunction;
  public readonly autoReady: CrossplaneFunction;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const runtime = new FunctionRuntimeConfig(this, 'RuntimeConfig');
    const fns = versions.crossplaneFunctions;
    this.patchAndTransform = new CrossplaneFunction(this, 'PatchAndTransform', {
      ...fns.patchAndTransform,
      runtimeConfigName: runtime.configName,
    });
    this.autoReady = new CrossplaneFunction(this, 'AutoReady', {
      ...fns.autoReady,
      runtimeConfigName: runtime.configName,
    });
  }
}
