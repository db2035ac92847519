// The model's register map: every CoreSight PMU register with its access policy, and the hooks that writes call into the model.
import type { RegisterSpec } from '@cspmu/mmio';
import type { CspmuModelConfig } from './cspmu-config.js';
import { CYCLE_COUNTER_PHYS, PMCR, PMDEVARCH_EXT32, PMDEVARCH_EXT64, REG, type RegisterLayout } from './cspmu-regs.js';

/** What the register map's read hooks call: the model's live counter values. */
export interface RegisterHooks {
  readCounterHalf(p: number, half: 0 | 1): number;
  readCounter64(p: number, out: Uint32Array): void;
}

/**
 * The write-hook codes of the map's registers (their hookArg in brackets),
 * which the model's WriteHooks dispatch on: registers of one kind share one.
 * The model's afterWrite compares them as literals: change both together.
 */
export const HOOK = {
  /** PMEVCNTR[p] (hookFirst): fold counter p before, count on from the value written after. */
  COUNTER: 1,
  /** PMEVTYPER/PMCCFILTR, PMEVFILTR, PMEVFILT2R[p + 256 * the register's word]: fold counter p (it still counts the old selection), then count the new one. */
  SELECTION: 2,
  /** PMCNTENSET/CLR, PMCNTEN word [r]: start or stop the counters whose bit moved. */
  ENABLE: 3,
  /** PMINTENSET/CLR word [r]: drive the overflow line if an enable that moved has its overflow pending. */
  INT_ENABLE: 4,
  /** PMOVSCLR/SET: end or start a freeze, drive the line. */
  OVERFLOW: 5,
  /** PMIMPDEF: resolve every rate again if a word the workload reads changed. */
  IMPDEF: 6,
  /** PMCR: reset counters (P, C), then start or stop them (E, FZO). */
  PMCR: 7,
} as const;

/** The geometry the map is laid out for. */
export interface RegisterGeometry {
  readonly implemented: readonly number[];
  /** Number of 32-bit words in each set/clear register group. */
  readonly setClrRegs: number;
  readonly pmcfgr: number;
  readonly pmiidr: number;
  readonly layout: RegisterLayout;
}

/**
 * The CoreSight PMU register map (IHI 0091): which register sits at which
 * offset with which access type and reset value, and which model hook each
 * access runs. Counter and overflow registers go on page 1 when the PMU has
 * two pages, otherwise everything is on page 0. With FEAT_CSPMU_EXT64 the
 * event types and filters are 64-bit registers at an 8-byte stride, PMCR
 * moves to 0xe10, and PMCNTEN at 0xc10 writes the enables directly.
 */
export function cspmuRegisterMap(c: CspmuModelConfig, g: RegisterGeometry): { counters: Spec[]; overflow: Spec[]; config: Spec[] } {
  return { counters: counterSpecs(c, g), overflow: overflowSpecs(g), config: configSpecs(c, g) };
}

/** A register whose hooks reach their device through the bank's context: one map serves every device of its kind. */
type Spec = RegisterSpec<RegisterHooks>;

function setClrMask(g: RegisterGeometry, r: number): number {
  let m = 0;
  for (const p of g.implemented) if (p >> 5 === r) m |= 1 << (p & 31);
  return m >>> 0;
}

function counterSpecs(c: CspmuModelConfig, g: RegisterGeometry): Spec[] {
  const wide = c.counterBits > 32;
  const stride = wide ? 8 : 4;
  return g.implemented.map((p) => {
    const spec: Spec = {
      name: `PMEVCNTR${p}`,
      offset: REG.PMEVCNTR + p * stride,
      width: wide ? 64 : 32,
      access: 'RW',
      read: (half, hooks) => hooks.readCounterHalf(p, half),
      ...(wide && c.atomic64 ? { read64: (out: Uint32Array, hooks: RegisterHooks) => hooks.readCounter64(p, out) } : {}),
      writeHook: HOOK.COUNTER,
      hookArg: p,
      hookFirst: true,
    };
    return spec;
  });
}

function overflowSpecs(g: RegisterGeometry): Spec[] {
  const specs: Spec[] = [];
  const onWrite = { writeHook: HOOK.OVERFLOW };
  for (let r = 0; r < g.setClrRegs; r++) {
    const writableMask = setClrMask(g, r);
    specs.push({ name: `PMOVSCLR${r}`, offset: REG.PMOVSCLR + 4 * r, access: 'W1C', writableMask, ...onWrite });
    specs.push({ name: `PMOVSSET${r}`, offset: REG.PMOVSSET + 4 * r, access: 'W1S', writableMask, stateOf: `PMOVSCLR${r}`, ...onWrite });
  }
  return specs;
}

function configSpecs(c: CspmuModelConfig, g: RegisterGeometry): Spec[] {
  const specs: Spec[] = [];
  const { selStride, filtered, ext64 } = g.layout;
  const width = ext64 ? 64 : 32;
  // A selection's hook is told its counter (p < 256, PMCFGR.N being 8 bits) and its word, to see whether the write changed it.
  const refold = (offset: number, p: number) => ({ offset, writeHook: HOOK.SELECTION, hookArg: p + 256 * (offset >> 2) });
  for (const p of g.implemented) {
    const typeName = p === CYCLE_COUNTER_PHYS && c.cycleCounter ? 'PMCCFILTR' : `PMEVTYPER${p}`;
    specs.push({ name: typeName, width, access: 'RW', ...refold(REG.PMEVTYPER + selStride * p, p) });
    if (p < filtered) {
      specs.push({ name: `PMEVFILT2R${p}`, width, access: 'RW', ...refold(REG.PMEVFILT2R + selStride * p, p) });
      specs.push({ name: `PMEVFILTR${p}`, width, access: 'RW', ...refold(REG.PMEVFILTR + selStride * p, p) });
    }
  }
  for (let r = 0; r < g.setClrRegs; r++) {
    const writableMask = setClrMask(g, r);
    const enable = { writeHook: HOOK.ENABLE, hookArg: r };
    const intEnable = { writeHook: HOOK.INT_ENABLE, hookArg: r };
    specs.push({ name: `PMCNTENSET${r}`, offset: REG.PMCNTENSET + 4 * r, access: 'W1S', writableMask, ...enable });
    specs.push({ name: `PMCNTENCLR${r}`, offset: REG.PMCNTENCLR + 4 * r, access: 'W1C', writableMask, stateOf: `PMCNTENSET${r}`, ...enable });
    specs.push({ name: `PMINTENSET${r}`, offset: REG.PMINTENSET + 4 * r, access: 'W1S', writableMask, ...intEnable });
    specs.push({ name: `PMINTENCLR${r}`, offset: REG.PMINTENCLR + 4 * r, access: 'W1C', writableMask, stateOf: `PMINTENSET${r}`, ...intEnable });
    // PMCNTEN: the enables of counters 0-63 written as a value, not bit by bit (what the driver's EXT64 test relies on).
    if (ext64 && r < 2) specs.push({ name: `PMCNTEN${r}`, offset: REG.PMCNTEN + 4 * r, access: 'RW', writableMask, stateOf: `PMCNTENSET${r}`, ...enable });
  }
  const impdef = { writeHook: HOOK.IMPDEF };
  for (let i = 0; i < 32; i++) specs.push({ name: `PMIMPDEF${i}`, offset: REG.PMIMPDEF + 4 * i, access: 'RW', ...impdef });
  const pmcrWritable = PMCR.E | PMCR.D | PMCR.X | PMCR.DP | (c.fzo ? PMCR.FZO : 0);
  specs.push(
    { name: 'PMCFGR', offset: REG.PMCFGR, access: 'RO', reset: g.pmcfgr },
    {
      name: 'PMCR',
      offset: g.layout.pmcr,
      access: 'RW',
      writableMask: pmcrWritable | PMCR.P | PMCR.C,
      actionBits: PMCR.P | PMCR.C,
      writeHook: HOOK.PMCR,
    },
    { name: 'PMIIDR', offset: REG.PMIIDR, access: 'RO', reset: c.pmiidrZero ? 0 : g.pmiidr },
    { name: 'PMDEVARCH', offset: REG.PMDEVARCH, access: 'RO', reset: ext64 ? PMDEVARCH_EXT64 : PMDEVARCH_EXT32 },
    { name: 'PMDEVTYPE', offset: REG.PMDEVTYPE, access: 'RO', reset: 0x56 },
    { name: 'PMPIDR4', offset: REG.PMPIDR4, access: 'RO', reset: (c.implementer >> 8) & 0xf },
    { name: 'PMPIDR0', offset: REG.PMPIDR0, access: 'RO', reset: c.product & 0xff },
    { name: 'PMPIDR1', offset: REG.PMPIDR1, access: 'RO', reset: ((c.product >> 8) & 0xf) | ((c.implementer & 0xf) << 4) },
    { name: 'PMPIDR2', offset: REG.PMPIDR2, access: 'RO', reset: ((c.implementer >> 4) & 0x7) | 0x8 | ((c.variant & 0xf) << 4) },
    { name: 'PMPIDR3', offset: REG.PMPIDR3, access: 'RO', reset: (c.revision & 0xf) << 4 },
    { name: 'PMCIDR0', offset: REG.PMCIDR0, access: 'RO', reset: 0x0d },
    { name: 'PMCIDR1', offset: REG.PMCIDR0 + 4, access: 'RO', reset: 0x90 },
    { name: 'PMCIDR2', offset: REG.PMCIDR0 + 8, access: 'RO', reset: 0x05 },
    { name: 'PMCIDR3', offset: REG.PMCIDR0 + 12, access: 'RO', reset: 0xb1 },
  );
  return specs;
}
