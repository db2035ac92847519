// A platform of generic-bound PMUs, one per entry of `ext64` (true: FEAT_CSPMU_EXT64), for the shared-attribute tests.
import type { PlatformSpec } from '@cspmu/hw';

export function manyPmusForTest(ext64: readonly boolean[]): PlatformSpec {
  return {
    name: 'shared-attrs',
    cpus: { sockets: 1, coresPerSocket: 4 },
    pmus: ext64.map((wide, i) => ({
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
      ext64: wide,
      clockHz: 1e9,
      base0: `0x${(0x1_0000_0000 + i * 0x1000).toString(16)}`,
      affinity: { container: 0 },
    })),
    workload: 'idle',
  };
}
