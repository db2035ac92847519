// Generated platforms of many generic-bound PMUs, for tests and benchmarks that need devices in bulk.
import type { PlatformSpec } from '@cspmu/hw';

/**
 * N single-page NVIDIA SCF-like PMUs on a 4-CPU machine, bound by the generic backend when no
 * NVIDIA module is installed. `ext64(i)`, when given, says whether PMU i has FEAT_CSPMU_EXT64.
 */
export function manyPmus(n: number, ext64?: (index: number) => boolean): PlatformSpec {
  return {
    name: `many-${n}`,
    cpus: { sockets: 1, coresPerSocket: 4 },
    pmus: Array.from({ length: n }, (_, i) => ({
      label: `p${i}`,
      id: i,
      type: 'cache' as const,
      instPrimary: 0,
      instSecondary: i,
      implementer: '0x36b',
      product: '0x2cf',
      counters: 5,
      counterBits: 64,
      cycleCounter: true,
      dualPage: false,
      atomic64: true,
      ...(ext64 === undefined ? {} : { ext64: ext64(i) }),
      clockHz: 1e9,
      base0: `0x${(0x1_0000_0000 + i * 0x1000).toString(16)}`,
      affinity: { container: 0 },
    })),
    workload: 'idle',
  };
}
