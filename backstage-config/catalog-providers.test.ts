/**
 * The GitLab catalog providers, as the pinned modules build them from our layers: the code both
 * modules run at startup (`fromConfig` of @backstage/plugin-catalog-backend-module-gitlab, which
 * the org module calls too), against the merged layers, with a recording config reader. The
 * module's schema accepts keys its code never reads (`catalogFile`), so validation alone cannot
 * tell a working entry from an ignored one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigReader, type AppConfig } from '@backstage/config';
import {
  GitlabDiscoveryEntityProvider,
  GitlabOrgDiscoveryEntityProvider,
} from '@backstage/plugin-catalog-backend-module-gitlab';
import { describe, expect, it } from 'vitest';
import {
  configLeaves,
  recordConfigReads,
  unreadKeys,
  type ConfigRead,
} from '../testing/config-reads';
import { PORTAL_TEST_ENV } from '../testing/portal-env';
import { clusterConfigLayers } from '../testing/portal-layers';

const PROVIDERS = 'catalog.providers.gitlab';

const layers = clusterConfigLayers;

/** The providers both modules create from `configs`, and every config read they made. */
function buildProviders(configs: AppConfig[]) {
  const config = ConfigReader.fromConfigs(configs);
  const silent = (): void => {};
  const logger: any = { info: silent, warn: silent, error: silent, debug: silent };
  logger.child = () => logger;
  // The scheduler is the only boundary: nothing runs, the schedules are kept.
  const scheduler: any = { createScheduledTaskRunner: () => ({ run: async () => {} }) };
  const reads: ConfigRead[] = [];
  const stop = recordConfigReads(ConfigReader, (read) => reads.push(read));
  let discovery: GitlabDiscoveryEntityProvider[];
  let org: GitlabOrgDiscoveryEntityProvider[];
  try {
    discovery = GitlabDiscoveryEntityProvider.fromConfig(config, { logger, scheduler });
    org = GitlabOrgDiscoveryEntityProvider.fromConfig(config, { logger, scheduler });
  } finally {
    stop();
  }
  // Read after recording stopped: this whole read is the test's, not the modules'.
  const providers = config.getConfig(PROVIDERS).get<Record<string, any>>();
  return {
    discovery: discovery.map((p) => p.getProviderName()),
    org: org.map((p) => p.getProviderName()),
    reads,
    set: configLeaves(providers, PROVIDERS),
    providers,
  };
}

describe('the GitLab catalog providers of the portal', () => {
  it('scan each GitLab group once: one discovery and one org provider per group', () => {
    const { discovery, org, providers } = buildProviders(layers());
    const groups = Object.values(providers).map((p) => `${p.host}/${p.group}`);
    expect(new Set(groups).size).toBe(groups.length);
    expect(groups).toEqual([
      `${PORTAL_TEST_ENV.GITLAB_HOST}/${PORTAL_TEST_ENV.GITLAB_PLATFORM_GROUP}`,
    ]);
    expect(discovery).toEqual(['GitlabDiscoveryEntityProvider:platform']);
    expect(org).toEqual(['GitlabOrgDiscoveryEntityProvider:platform']);
  });

  it('read every key our layers set under catalog.providers.gitlab', () => {
    const { reads, set } = buildProviders(layers());
    expect(unreadKeys(set, reads)).toEqual([]);
    expect(set).toContain(`${PROVIDERS}.platform.entityFilename`);
  });

  it('would report a key the schema accepts and the code ignores (catalogFile)', () => {
    const configs = layers();
    (configs[1].data as any).catalog.providers.gitlab.platform.catalogFile = 'catalog-info.yaml';
    const { reads, set } = buildProviders(configs);
    expect(unreadKeys(set, reads)).toEqual([`${PROVIDERS}.platform.catalogFile`]);
  });

  it('discover the file the new-service template writes', () => {
    const { providers } = buildProviders(layers());
    const skeleton = path.join(__dirname, '..', 'dist', 'templates', 'new-service', 'skeleton');
    for (const provider of Object.values(providers)) {
      expect(fs.existsSync(path.join(skeleton, provider.entityFilename))).toBe(true);
    }
  });
});
