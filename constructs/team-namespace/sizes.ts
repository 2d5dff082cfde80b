/**
 * The named sizes a team namespace can have. One table feeds the XRD (the `size` enum and its
 * description), the Composition (map transforms from size to quota and container defaults) and,
 * through the XRD, the portal's form.
 */

/** Hard limits of the namespace's ResourceQuota. */
export interface QuotaLimits {
  readonly requestsCpu: string;
  readonly requestsMemory: string;
  readonly limitsCpu: string;
  readonly limitsMemory: string;
  readonly requestsStorage: string;
  readonly persistentVolumeClaims: number;
  readonly pods: number;
}

/** Defaults the LimitRange gives containers that declare no resources. */
export interface ContainerDefaults {
  readonly requestCpu: string;
  readonly requestMemory: string;
  readonly limitCpu: string;
  readonly limitMemory: string;
}

export interface NamespaceSize {
  readonly quota: QuotaLimits;
  readonly containerDefaults: ContainerDefaults;
}

/** Quota keys as they appear in the XR's `spec.quota`, with the ResourceQuota key each sets. */
export const QUOTA_KEYS: Readonly<Record<keyof QuotaLimits, string>> = {
  requestsCpu: 'requests.cpu',
  requestsMemory: 'requests.memory',
  limitsCpu: 'limits.cpu',
  limitsMemory: 'limits.memory',
  requestsStorage: 'requests.storage',
  persistentVolumeClaims: 'persistentvolumeclaims',
  pods: 'pods',
};

/** LimitRange fields each container default sets, relative to the Container item. */
export const CONTAINER_DEFAULT_PATHS: Readonly<Record<keyof ContainerDefaults, string>> = {
  requestCpu: 'defaultRequest.cpu',
  requestMemory: 'defaultRequest.memory',
  limitCpu: 'default.cpu',
  limitMemory: 'default.memory',
};

/** The default catalogue of sizes; the construct accepts another one. */
export const DEFAULT_NAMESPACE_SIZES: Readonly<Record<string, NamespaceSize>> = {
  small: {
    quota: {
      requestsCpu: '2',
      requestsMemory: '4Gi',
      limitsCpu: '4',
      limitsMemory: '8Gi',
      requestsStorage: '20Gi',
      persistentVolumeClaims: 5,
      pods: 20,
    },
    containerDefaults: {
      requestCpu: '100m',
      requestMemory: '128Mi',
      limitCpu: '500m',
      limitMemory: '512Mi',
    },
  },
  medium: {
    quota: {
      requestsCpu: '4',
      requestsMemory: '8Gi',
      limitsCpu: '8',
      limitsMemory: '16Gi',
      requestsStorage: '100Gi',
      persistentVolumeClaims: 10,
      pods: 50,
    },
    containerDefaults: {
      requestCpu: '100m',
      requestMemory: '256Mi',
      limitCpu: '1',
      limitMemory: '1Gi',
    },
  },
  large: {
    quota: {
      requestsCpu: '8',
      requestsMemory: '16Gi',
      limitsCpu: '16',
      limitsMemory: '32Gi',
      requestsStorage: '500Gi',
      persistentVolumeClaims: 20,
      pods: 100,
    },
    containerDefaults: {
      requestCpu: '250m',
      requestMemory: '512Mi',
      limitCpu: '2',
      limitMemory: '2Gi',
    },
  },
};

/** One line per size, for the XRD's description of `spec.size`. */
export function describeSizes(sizes: Readonly<Record<string, NamespaceSize>>): string {
  return Object.entries(sizes)
    .map(
      ([name, s]) =>
        `${name}: ${s.quota.requestsCpu} CPU / ${s.quota.requestsMemory} requested, ` +
        `${s.quota.limitsCpu} CPU / ${s.quota.limitsMemory} limit, ${s.quota.pods} pods, ` +
        `${s.quota.persistentVolumeClaims} volumes / ${s.quota.requestsStorage}`,
    )
    .join('; ');
}
