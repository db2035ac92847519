// The upstream Linux versions whose behaviour the emulated stack can follow.
import { describeValue, kerr } from './errors.js';

/** Upstream kernel versions modelled; the first is the default. */
export const KERNEL_VERSIONS = ['7.3', '6.12'] as const;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];
export const DEFAULT_KERNEL_VERSION: KernelVersion = '7.3';

/** Check a version given by a user or a platform file (EINVAL naming the known ones). */
export function parseKernelVersion(v: unknown, where = 'kernelVersion'): KernelVersion {
  if (v === undefined) return DEFAULT_KERNEL_VERSION;
  if (typeof v === 'string' && (KERNEL_VERSIONS as readonly string[]).includes(v)) return v as KernelVersion;
  throw kerr(
    'EINVAL',
    `${where}: ${describeValue(v)} is not a modelled kernel version; choose one of ${KERNEL_VERSIONS.join(', ')} (default ${DEFAULT_KERNEL_VERSION})`,
  );
}
