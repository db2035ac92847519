// Generated benchmark platforms: N single-page SCF-like PMUs on a small machine.
import type { PlatformSpec } from '@cspmu/hw';

/** N single-page NVIDIA SCF-like PMUs on a 4-CPU machine: for reprobe and memory figures. */
export function manyPmus(n: number): PlatformSpec {
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
      clockHz: 1e9,
      base0: `0x${(0x1_0000_0000 + i * 0x1000).toString(16)}`,
      affinity: { container: 0 },
    })),
    workload: 'idle',
  };
}
