/** Register offsets of the CoreSight PMU architecture (IHI 0091), as the driver uses them. */
export const REG = {
  PMEVCNTR: 0x000,
  PMEVTYPER: 0x400,
  PMCCFILTR: 0x47c,
  PMEVFILT2R: 0x800,
  PMEVFILTR: 0xa00,
  PMCNTENSET: 0xc00,
  PMCNTENCLR: 0xc20,
  /** FEAT_CSPMU_EXT64: a read/write view of the counter enables (PMCNTENSET4 without it). */
  PMCNTEN: 0xc10,
  PMINTENSET: 0xc40,
  PMINTENCLR: 0xc60,
  PMOVSCLR: 0xc80,
  PMOVSSET: 0xcc0,
  PMIMPDEF: 0xd80,
  PMCFGR: 0xe00,
  PMCR: 0xe04,
  PMIIDR: 0xe08,
  /** FEAT_CSPMU_EXT64 moves PMCR here. */
  PMCR_EXT64: 0xe10,
  PMDEVARCH: 0xfbc,
  PMDEVTYPE: 0xfcc,
  PMPIDR4: 0xfd0,
  PMPIDR0: 0xfe0,
  PMPIDR1: 0xfe4,
  PMPIDR2: 0xfe8,
  PMPIDR3: 0xfec,
  PMCIDR0: 0xff0,
} as const;

export const PMCFGR = {
  N_MASK: 0xff,
  SIZE_SHIFT: 8,
  SIZE_MASK: 0x3f,
  CC: 1 << 14,
  FZO: 1 << 21,
} as const;

export const PMCR = {
  E: 1 << 0,
  P: 1 << 1,
  C: 1 << 2,
  D: 1 << 3,
  X: 1 << 4,
  DP: 1 << 5,
  FZO: 1 << 9,
} as const;

/** The cycle counter's physical index. */
export const CYCLE_COUNTER_PHYS = 31;

/** Physical counter indices a PMU of `counters` total (cycle counter included) implements. */
export function implementedCounters(counters: number, cycleCounter: boolean): number[] {
  const out: number[] = [];
  if (!cycleCounter) {
    for (let i = 0; i < counters; i++) out.push(i);
    return out;
  }
  if (counters <= 31) {
    for (let i = 0; i < counters - 1; i++) out.push(i);
  } else {
    for (let i = 0; i < counters; i++) if (i !== 31) out.push(i);
  }
  out.push(CYCLE_COUNTER_PHYS);
  return out.sort((a, b) => a - b);
}

/** PMIIDR from its fields. */
export function makePmiidr(implementer: number, product: number, variant: number, revision: number): number {
  return ((product & 0xfff) * 0x100000 + (variant & 0xf) * 0x10000 + (revision & 0xf) * 0x1000 + (implementer & 0xfff)) >>> 0;
}

/** PMCFGR: the counter count and width, and whether there is a cycle counter and freeze-on-overflow. */
export function makePmcfgr(counters: number, counterBits: number, cycleCounter: boolean, fzo: boolean): number {
  return (
    ((counters - 1) & PMCFGR.N_MASK) | (((counterBits - 1) & PMCFGR.SIZE_MASK) << PMCFGR.SIZE_SHIFT) | (cycleCounter ? PMCFGR.CC : 0) | (fzo ? PMCFGR.FZO : 0)
  );
}

/** PMDEVARCH: Arm as architect, PRESENT, ARCHID 0x2a56 (the PMU architecture); with FEAT_CSPMU_EXT64 ARCHPART 0xaf4. */
export const PMDEVARCH_EXT32 = 0x47702a56;
export const PMDEVARCH_EXT64 = 0x47702af4;

/**
 * Where the registers FEAT_CSPMU_EXT64 moves or widens sit: PMCR at 0xe10
 * instead of 0xe04, event types and filters 64 bits wide at an 8-byte
 * stride (so only counters 0-63 have filters). Byte offsets.
 */
export interface RegisterLayout {
  readonly ext64: boolean;
  readonly pmcr: number;
  /** Stride of PMEVTYPER, PMEVFILTR and PMEVFILT2R. */
  readonly selStride: 4 | 8;
  /** Counters below this have PMEVFILTR/PMEVFILT2R. */
  readonly filtered: number;
}

export function registerLayout(ext64: boolean): RegisterLayout {
  return ext64 ? { ext64, pmcr: REG.PMCR_EXT64, selStride: 8, filtered: 64 } : { ext64, pmcr: REG.PMCR, selStride: 4, filtered: 128 };
}
