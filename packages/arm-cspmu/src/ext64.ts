// FEAT_CSPMU_EXT64 as the 7.3 driver finds it at probe, and the register places it moves.
import type { IoMem } from '@cspmu/mmio';
import * as regs from './regs.js';
import { PMCNTEN, PMCNTENCLR, PMCR, PMCR_EXT64, PMDEVARCH } from './regs.js';
import { splitU64Into } from './u64-words.js';

/** pmu->start writes it (a local copy: see regs.ts). */
const { PMEVTYPER } = regs;
const PMDEVARCH_PRESENT = 1 << 20;
const PMDEVARCH_ARCHPART = 0xfff;
const EXT64_ARCHPARTS = [0xaf4, 0xaf5];

/**
 * The probe-time test, before PMCFGR is read: clear every enable of counters
 * 0-31, write all ones to 0xc10 (PMCNTEN with the extension, PMCNTENSET4
 * without), read the enables back. Anything set means the extension; its
 * enables are then cleared again. Otherwise PMDEVARCH decides. The write to
 * PMCNTENSET4 of a part without it is never undone, as upstream.
 */
export function detectExt64(base0: IoMem): boolean {
  base0.writel(0xffffffff, PMCNTENCLR);
  base0.writel(0xffffffff, PMCNTEN);
  if (base0.readl(PMCNTENCLR) !== 0) {
    base0.writel(0, PMCNTEN);
    return true;
  }
  const arch = base0.readl(PMDEVARCH);
  return (arch & PMDEVARCH_PRESENT) !== 0 && EXT64_ARCHPARTS.includes(arch & PMDEVARCH_ARCHPART);
}

/** Where PMCR is. */
export function pmcrOffset(ext64: boolean): number {
  return ext64 ? PMCR_EXT64 : PMCR;
}

/** PMEVTYPER of a physical counter: the whole 64-bit type with the extension, its low word otherwise. */
export function writeEventType(base0: IoMem, ext64: boolean, phys: number, lo: number, hi: number): void {
  if (ext64) base0.writeqParts(lo, hi, PMEVTYPER + 8 * phys);
  else base0.writel(lo, PMEVTYPER + 4 * phys);
}

/** The event type as the driver keeps it: low and high words (the high one reaches only a 64-bit PMEVTYPER). A number type is a u32. */
export function splitEventType(hw: { config: number; configHi: number }, type: number | bigint): void {
  if (typeof type === 'bigint') splitU64Into(hw, type);
  else {
    hw.config = type >>> 0;
    hw.configHi = 0;
  }
}
