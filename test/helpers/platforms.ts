// Platforms tests build: one PMU per counter width.
import { BUILTIN_PLATFORMS, type PlatformSpec } from '@cspmu/hw';

/** One cycle-counting PMU per width 1..64 at 1 GHz, each with an overflow interrupt. */
export function widthsPlatform(clockHz = 1e9): PlatformSpec {
  const base = BUILTIN_PLATFORMS['arm-generic']!;
  const { base1: _b1, irq: _irq, ...proto } = base.pmus[0]!;
  const pmus = [];
  for (let w = 1; w <= 64; w++) {
    pmus.push({
      ...proto,
      label: `w${w}`,
      id: w,
      base0: 0x100000000 + w * 0x1000,
      dualPage: false,
      counters: 2,
      cycleCounter: true,
      counterBits: w,
      irq: { gsi: 100 + w, trigger: 'level' as const },
      clockHz,
    });
  }
  return { ...base, name: 'widths', pmus } as PlatformSpec;
}
