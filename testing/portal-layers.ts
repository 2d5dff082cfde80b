/**
 * The portal's config layers as the cluster reads them, for tests that run Backstage code on them.
 */
import type { AppConfig } from '@backstage/config';
import { APP_CONFIG_LAYERS, stackConfigLayer, STACK_CONFIG_LAYER } from '../infra/backstage-spec';
import { readConfigLayer } from '../infra/backstage-config';
import { substitute } from './backstage-config';
import { PORTAL_TEST_ENV } from './portal-env';

/**
 * The base and production layers and the dev stack's generated layer (no TechDocs bucket), in the
 * order the backend reads them, `${VAR}`s filled with the test values: what
 * `ConfigReader.fromConfigs` takes. Fresh objects on every call, so a test may change them.
 */
export function clusterConfigLayers(): AppConfig[] {
  return [
    ...APP_CONFIG_LAYERS.map((file) => ({
      context: file,
      data: substitute(readConfigLayer(file), PORTAL_TEST_ENV) as AppConfig['data'],
    })),
    {
      context: STACK_CONFIG_LAYER,
      data: stackConfigLayer({
        techdocs: { volumeSize: '5Gi' },
        adminGroups: ['group:default/platform-team'],
      }) as unknown as AppConfig['data'],
    },
  ];
}
