// Platforms and APMTs tests build: one PMU per counter width, one PMU of a given width and bus latency, N plain PMUs, N plain APMT nodes.
import { BUILTIN_PLATFORMS, buildApmt, type PlatformSpec } from '@cspmu/hw';

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

/** One Arm PMU 'w' of the given width and bus latency, counting arm-generic-basic's events (0x1 at 1 GHz, 0x2 at 250 MHz, 0x3 at 33 MHz), interrupt GSI 100. */
export function onePmu(counterBits: number, accessLatencyNs: number, clockHz = 1e9): PlatformSpec {
  const base = BUILTIN_PLATFORMS['arm-generic']!;
  const { base1: _b1, irq: _irq, ...proto } = base.pmus[0]!;
  const pmu = { ...proto, label: 'w', id: 1, base0: 0x100000000, dualPage: false, counters: 4, cycleCounter: true, counterBits, accessLatencyNs, clockHz };
  return { ...base, name: 'one', pmus: [{ ...pmu, irq: { gsi: 100, trigger: 'level' as const } }] } as PlatformSpec;
}

/** An APMT of n memory-controller nodes (ids from 100), each on its own page. */
export function apmtOf(n: number): Uint8Array {
  const nodes = [];
  for (let i = 0; i < n; i++) {
    nodes.push({
      flags: 0,
      type: 0,
      id: i + 100,
      instPrimary: 0n,
      instSecondary: 0,
      baseAddress0: 0x200000000 + i * 0x1000,
      baseAddress1: 0,
      ovflwIrq: 0,
      ovflwIrqFlags: 0,
      procAffinity: 0,
      implId: 0,
    });
  }
  return buildApmt(nodes);
}

/** The arm-generic platform with n single-page PMUs (labels p0.., ids 0..), each edited by `edit`. */
export function platformOf(n: number, edit: (pmu: Record<string, unknown>, i: number) => void = () => undefined): PlatformSpec {
  const base = BUILTIN_PLATFORMS['arm-generic']!;
  const { base1: _b1, irq: _irq, ...proto } = base.pmus[0]!;
  const pmus = [];
  for (let i = 0; i < n; i++) {
    const p: Record<string, unknown> = { ...proto, label: `p${i}`, id: i, base0: 0x100000000 + i * 0x1000, dualPage: false };
    edit(p, i);
    pmus.push(p);
  }
  return { ...base, pmus } as unknown as PlatformSpec;
}
