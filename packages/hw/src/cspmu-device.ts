import { kerr, type Clock, type IrqController, type Timer } from '@cspmu/kernel';
import { RegisterBank, type AddressMap, type Region, type RegisterSpec } from '@cspmu/mmio';
import { CYCLE_COUNTER_PHYS, implementedCounters, makePmiidr, PMCFGR, PMCR, REG } from './cspmu-regs.js';
import { ConstantRate, ZERO_RATE, type RateFunction } from './rate-function.js';
import type { PmuDevice } from './platform.js';
import type { Workload } from './workload.js';

/**
 * What the model needs of a platform device: identity, counter geometry,
 * page layout and clock. `accessLatencyNs` > 0 lets non-atomic 64-bit reads tear.
 */
export type CspmuModelConfig = Pick<
  PmuDevice,
  | 'label'
  | 'counters'
  | 'counterBits'
  | 'cycleCounter'
  | 'dualPage'
  | 'atomic64'
  | 'fzo'
  | 'implementer'
  | 'product'
  | 'variant'
  | 'revision'
  | 'pmiidrZero'
  | 'clockHz'
  | 'accessLatencyNs'
>;

export interface CspmuModelDeps {
  readonly clock: Clock;
  readonly workload: Workload;
  readonly irqs?: IrqController;
  readonly irq?: number;
}

const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The CoreSight PMU device model (IHI 0091 semantics, as far as Linux relies
 * on them and the [spec] items of the facts sheet). Counters are lazy: a
 * counter holds its value at a time t0 and a cumulative event function of
 * the workload, so reading costs the same after 10^12 events as after 10^3.
 * Overflows are found by an exact inverse and raised by a timer at the
 * virtual time they happen. All 64-bit values are kept as two 32-bit words.
 */
export class CspmuDevice {
  readonly page0: RegisterBank;
  readonly page1: RegisterBank | undefined;
  readonly pmiidr: number;
  readonly pmcfgr: number;
  readonly implemented: readonly number[];
  readonly setClrRegs: number;

  private readonly wide: boolean;
  private readonly cntBank: RegisterBank;
  private readonly cntWord = new Int32Array(256).fill(-1);
  private readonly t0 = new Float64Array(256);
  private readonly e0 = new Float64Array(256);
  private readonly nextOvf = new Float64Array(256).fill(Infinity);
  private readonly rate: RateFunction[] = new Array<RateFunction>(256).fill(ZERO_RATE);
  private readonly running = new Uint8Array(256);
  private readonly timers: (Timer | undefined)[] = new Array(256).fill(undefined);
  private readonly cycleRate: RateFunction;
  private readonly rateCache = new Map<string, RateFunction>();
  /** Per counter: the selection its rate was last resolved for, to skip re-resolving. */
  private readonly lastSel = new Float64Array(256 * 3).fill(-1);
  private readonly lastRate: (RateFunction | undefined)[] = new Array(256).fill(undefined);
  private oldWord = 0;
  private frozen = false;
  private irqAsserted = false;
  private lastAccess = 0;
  private vLo = 0;
  private vHi = 0;
  private vWrapped = false;
  /** Overflows seen (for tests and diagnostics). */
  overflows = 0;

  constructor(
    readonly config: CspmuModelConfig,
    private readonly deps: CspmuModelDeps,
  ) {
    const c = config;
    const maxCounters = c.counterBits > 32 ? 128 : 256;
    if (!Number.isInteger(c.counters) || c.counters < 1 || c.counters > maxCounters) {
      throw kerr('EINVAL', `${c.label}: counters must be 1..${maxCounters} for ${c.counterBits}-bit counters, got ${c.counters}`);
    }
    if (!Number.isInteger(c.counterBits) || c.counterBits < 1 || c.counterBits > 64) {
      throw kerr('EINVAL', `${c.label}: counterBits must be 1..64, got ${c.counterBits}`);
    }
    if (c.cycleCounter && c.counters < 1) throw kerr('EINVAL', `${c.label}: a cycle counter needs at least one counter`);
    this.wide = c.counterBits > 32;
    this.implemented = implementedCounters(c.counters, c.cycleCounter);
    this.setClrRegs = Math.ceil((this.implemented.at(-1)! + 1) / 32);
    this.pmiidr = makePmiidr(c.implementer, c.product, c.variant, c.revision);
    this.pmcfgr =
      ((c.counters - 1) & PMCFGR.N_MASK) |
      (((c.counterBits - 1) & PMCFGR.SIZE_MASK) << PMCFGR.SIZE_SHIFT) |
      (c.cycleCounter ? PMCFGR.CC : 0) |
      (c.fzo ? PMCFGR.FZO : 0);
    this.cycleRate = new ConstantRate(c.clockHz);

    const counterSpecs = this.counterSpecs();
    const ovsSpecs = this.ovsSpecs();
    const config0 = this.configSpecs();
    if (c.dualPage) {
      this.page0 = new RegisterBank(`${c.label}.page0`, 0x1000, config0);
      this.page1 = new RegisterBank(`${c.label}.page1`, 0x1000, [...counterSpecs, ...ovsSpecs]);
      this.cntBank = this.page1;
    } else {
      this.page0 = new RegisterBank(`${c.label}.page0`, 0x1000, [...counterSpecs, ...config0, ...ovsSpecs]);
      this.page1 = undefined;
      this.cntBank = this.page0;
    }
    for (const p of this.implemented) this.cntWord[p] = this.cntBank.stateWordOf(`PMEVCNTR${p}`);
  }

  /** Map the pages at their physical bases; returns the regions mapped. */
  attach(map: AddressMap, owner: string, base0: number, base1?: number): Region[] {
    if (this.config.dualPage && base1 === undefined) throw kerr('EINVAL', `${owner}: a dual-page PMU needs a page-1 base`);
    const r0 = map.map(base0, 0x1000, this.page0, `${owner} page 0`);
    if (!this.page1) return [r0];
    try {
      return [r0, map.map(base1!, 0x1000, this.page1, `${owner} page 1`)];
    } catch (e) {
      map.unmap(r0);
      throw e;
    }
  }

  /** Stop every timer (the machine is shutting down). */
  shutdown(): void {
    for (const p of this.implemented) {
      this.timers[p]?.cancel();
      this.timers[p] = undefined;
      this.nextOvf[p] = Infinity;
    }
  }

  /** Current value of a physical counter as a bigint (for tests and tools; not the bus). */
  counterValue(phys: number): bigint {
    if (this.cntWord[phys]! < 0) throw kerr('EINVAL', `${this.config.label}: counter ${phys} does not exist on this PMU`);
    this.valueAt(phys, this.deps.clock.now());
    return (BigInt(this.vHi) << 32n) | BigInt(this.vLo);
  }

  get irqLineAsserted(): boolean {
    return this.irqAsserted;
  }

  // ---- register declarations ----

  private counterSpecs(): RegisterSpec[] {
    const stride = this.wide ? 8 : 4;
    return this.implemented.map((p) => {
      const spec: RegisterSpec = {
        name: `PMEVCNTR${p}`,
        offset: REG.PMEVCNTR + p * stride,
        width: this.wide ? 64 : 32,
        access: 'RW',
        read: (half) => this.readCounterHalf(p, half),
        ...(this.wide && this.config.atomic64 ? { read64: (out: Uint32Array) => this.readCounter64(p, out) } : {}),
        beforeWrite: () => this.fold(p, this.accessTime()),
        onWrite: () => this.counterWritten(p),
      };
      return spec;
    });
  }

  private setClrMask(r: number): number {
    let m = 0;
    for (const p of this.implemented) if (p >> 5 === r) m |= 1 << (p & 31);
    return m >>> 0;
  }

  private ovsSpecs(): RegisterSpec[] {
    const specs: RegisterSpec[] = [];
    for (let r = 0; r < this.setClrRegs; r++) {
      const writableMask = this.setClrMask(r);
      specs.push({ name: `PMOVSCLR${r}`, offset: REG.PMOVSCLR + 4 * r, access: 'W1C', writableMask, onWrite: () => this.overflowStatusChanged() });
      specs.push({ name: `PMOVSSET${r}`, offset: REG.PMOVSSET + 4 * r, access: 'W1S', writableMask, stateOf: `PMOVSCLR${r}`, onWrite: () => this.overflowStatusChanged() });
    }
    return specs;
  }

  private configSpecs(): RegisterSpec[] {
    const c = this.config;
    const specs: RegisterSpec[] = [];
    for (const p of this.implemented) {
      const refold = { beforeWrite: () => this.fold(p, this.accessTime()), onWrite: () => this.restart(p, this.lastAccess) };
      specs.push({ name: p === CYCLE_COUNTER_PHYS && c.cycleCounter ? 'PMCCFILTR' : `PMEVTYPER${p}`, offset: REG.PMEVTYPER + 4 * p, access: 'RW', ...refold });
      if (p < 128) {
        specs.push({ name: `PMEVFILT2R${p}`, offset: REG.PMEVFILT2R + 4 * p, access: 'RW', ...refold });
        specs.push({ name: `PMEVFILTR${p}`, offset: REG.PMEVFILTR + 4 * p, access: 'RW', ...refold });
      }
    }
    for (let r = 0; r < this.setClrRegs; r++) {
      const writableMask = this.setClrMask(r);
      const enable = {
        beforeWrite: () => {
          this.accessTime();
          this.oldWord = this.page0.state[(REG.PMCNTENSET >> 2) + r]!;
        },
        onWrite: () => this.enableChanged(r),
      };
      specs.push({ name: `PMCNTENSET${r}`, offset: REG.PMCNTENSET + 4 * r, access: 'W1S', writableMask, ...enable });
      specs.push({ name: `PMCNTENCLR${r}`, offset: REG.PMCNTENCLR + 4 * r, access: 'W1C', writableMask, stateOf: `PMCNTENSET${r}`, ...enable });
      specs.push({ name: `PMINTENSET${r}`, offset: REG.PMINTENSET + 4 * r, access: 'W1S', writableMask, onWrite: () => this.updateIrq() });
      specs.push({ name: `PMINTENCLR${r}`, offset: REG.PMINTENCLR + 4 * r, access: 'W1C', writableMask, stateOf: `PMINTENSET${r}`, onWrite: () => this.updateIrq() });
    }
    for (let i = 0; i < 32; i++) {
      specs.push({
        name: `PMIMPDEF${i}`,
        offset: REG.PMIMPDEF + 4 * i,
        access: 'RW',
        beforeWrite: () => this.foldAll(this.accessTime()),
        onWrite: () => this.reresolveAll(this.lastAccess),
      });
    }
    const pmcrWritable = PMCR.E | PMCR.D | PMCR.X | PMCR.DP | (c.fzo ? PMCR.FZO : 0);
    specs.push(
      { name: 'PMCFGR', offset: REG.PMCFGR, access: 'RO', reset: this.pmcfgr },
      {
        name: 'PMCR',
        offset: REG.PMCR,
        access: 'RW',
        writableMask: pmcrWritable | PMCR.P | PMCR.C,
        actionBits: PMCR.P | PMCR.C,
        beforeWrite: () => {
          this.accessTime();
          this.oldWord = this.page0.state[REG.PMCR >> 2]!;
        },
        onAction: (bits) => {
          this.foldAll(this.lastAccess);
          this.resetCounters(bits);
          this.oldWord = -1;
        },
        onWrite: () => this.pmcrChanged(),
      },
      { name: 'PMIIDR', offset: REG.PMIIDR, access: 'RO', reset: c.pmiidrZero ? 0 : this.pmiidr },
      { name: 'PMDEVARCH', offset: REG.PMDEVARCH, access: 'RO', reset: 0x47702a56 },
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

  // ---- time ----

  /** The device-side time of an access: the clock, plus bus latency for back-to-back accesses. */
  private accessTime(): number {
    const now = this.deps.clock.now();
    const lat = this.config.accessLatencyNs;
    if (lat === 0) return (this.lastAccess = now);
    this.lastAccess = now > this.lastAccess ? now : this.lastAccess + lat;
    return this.lastAccess;
  }

  // ---- counting ----

  private readCounterHalf(p: number, half: 0 | 1): number {
    const t = this.accessTime();
    if (t >= this.nextOvf[p]!) this.overflowDue(p, t);
    this.valueAt(p, t);
    return half === 0 ? this.vLo : this.vHi;
  }

  private readCounter64(p: number, out: Uint32Array): void {
    const t = this.accessTime();
    if (t >= this.nextOvf[p]!) this.overflowDue(p, t);
    this.valueAt(p, t);
    out[0] = this.vLo;
    out[1] = this.vHi;
  }

  /** Value of counter p at time t into vLo/vHi (wrapped to the width); vWrapped if it passed the top. */
  private valueAt(p: number, t: number): void {
    const st = this.cntBank.state;
    const w = this.cntWord[p]!;
    let lo = st[w]!;
    let hi = this.wide ? st[w + 1]! : 0;
    if (this.running[p] === 1) {
      const d = this.rate[p]!.at(t) - this.e0[p]!;
      if (d > 0) {
        // Floor arithmetic, not %: on doubles % is an fmod call, and reads must cost the same at any count.
        const dHi = Math.floor(d / TWO32);
        lo += d - dHi * TWO32;
        hi += dHi;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
      }
    }
    const bits = this.config.counterBits;
    if (bits > 32) {
      const span = bits === 64 ? TWO32 : 2 ** (bits - 32);
      this.vWrapped = hi >= span;
      this.vHi = hi >= span ? hi - Math.floor(hi / span) * span : hi;
      this.vLo = lo;
    } else {
      const span = bits === 32 ? TWO32 : 2 ** bits;
      this.vWrapped = hi > 0 || lo >= span;
      this.vLo = lo >= span ? lo - Math.floor(lo / span) * span : lo;
      this.vHi = 0;
    }
  }

  /** Fold the counter's progress up to t into its stored value; a wrap sets its overflow bit. */
  private fold(p: number, t: number): void {
    if (this.running[p] === 1 && t > this.t0[p]!) {
      this.valueAt(p, t);
      const st = this.cntBank.state;
      const w = this.cntWord[p]!;
      st[w] = this.vLo;
      if (this.wide) st[w + 1] = this.vHi;
      this.e0[p] = this.rate[p]!.at(t);
      this.t0[p] = t;
      if (this.vWrapped) this.setOverflow(p);
    } else if (t > this.t0[p]!) {
      this.t0[p] = t;
      this.e0[p] = this.rate[p]!.at(t);
    }
  }

  private foldAll(t: number): void {
    for (const p of this.implemented) this.fold(p, t);
  }

  private counterWritten(p: number): void {
    this.t0[p] = this.lastAccess;
    this.e0[p] = this.rate[p]!.at(this.lastAccess);
    this.schedule(p);
  }

  private isCounting(p: number): boolean {
    const s = this.page0.state;
    if ((s[REG.PMCR >> 2]! & PMCR.E) === 0 || this.frozen) return false;
    return ((s[(REG.PMCNTENSET >> 2) + (p >> 5)]! >>> (p & 31)) & 1) === 1;
  }

  /** A PMCNTENSET/CLR word changed: fold and restart only the counters whose bit moved. */
  private enableChanged(r: number): void {
    const changed = (this.oldWord ^ this.page0.state[(REG.PMCNTENSET >> 2) + r]!) >>> 0;
    if (changed === 0) return;
    const t = this.lastAccess;
    for (let b = 0; b < 32; b++) {
      if (((changed >>> b) & 1) === 0) continue;
      const p = r * 32 + b;
      if (this.cntWord[p]! < 0) continue;
      this.fold(p, t);
      this.restart(p, t);
    }
  }

  /** PMCR written: restart everything if E or FZO changed or counters were reset. */
  private pmcrChanged(): void {
    const now = this.page0.state[REG.PMCR >> 2]!;
    if (this.oldWord !== -1 && ((this.oldWord ^ now) & (PMCR.E | PMCR.FZO)) === 0) return;
    const t = this.lastAccess;
    this.foldAll(t);
    this.restartAll(t);
  }

  private resolve(p: number): RateFunction {
    if (p === CYCLE_COUNTER_PHYS && this.config.cycleCounter) return this.cycleRate;
    const s = this.page0.state;
    const event = s[(REG.PMEVTYPER >> 2) + p]!;
    const filter = p < 128 ? s[(REG.PMEVFILTR >> 2) + p]! : 0;
    const filter2 = p < 128 ? s[(REG.PMEVFILT2R >> 2) + p]! : 0;
    const sel = this.lastSel;
    const last = this.lastRate[p];
    if (last !== undefined && sel[3 * p] === event && sel[3 * p + 1] === filter && sel[3 * p + 2] === filter2) return last;
    sel[3 * p] = event;
    sel[3 * p + 1] = filter;
    sel[3 * p + 2] = filter2;
    const key = `${event}/${filter}/${filter2}`;
    let f = this.rateCache.get(key);
    if (!f) {
      f = this.deps.workload.resolve({ label: this.config.label, event, filter, filter2 });
      this.rateCache.set(key, f);
    }
    this.lastRate[p] = f;
    return f;
  }

  /** Re-derive whether and how counter p counts, from time t (its progress is already folded). */
  private restart(p: number, t: number): void {
    const counting = this.isCounting(p);
    if (!counting && this.running[p] === 0) {
      this.t0[p] = t;
      this.e0[p] = 0;
      if (this.timers[p] !== undefined) this.schedule(p);
      return;
    }
    this.running[p] = counting ? 1 : 0;
    this.rate[p] = counting ? this.resolve(p) : ZERO_RATE;
    this.t0[p] = t;
    this.e0[p] = this.rate[p]!.at(t);
    this.schedule(p);
  }

  private restartAll(t: number): void {
    for (const p of this.implemented) this.restart(p, t);
  }

  private reresolveAll(t: number): void {
    this.rateCache.clear();
    this.lastRate.fill(undefined);
    this.restartAll(t);
  }

  private resetCounters(bits: number): void {
    const st = this.cntBank.state;
    for (const p of this.implemented) {
      const isCycle = p === CYCLE_COUNTER_PHYS && this.config.cycleCounter;
      if ((isCycle && bits & PMCR.C) || (!isCycle && bits & PMCR.P)) {
        const w = this.cntWord[p]!;
        st[w] = 0;
        if (this.wide) st[w + 1] = 0;
      }
    }
  }

  /** Arm the timer for counter p's next overflow, at the exact virtual time it happens. */
  private schedule(p: number): void {
    this.timers[p]?.cancel();
    this.timers[p] = undefined;
    this.nextOvf[p] = Infinity;
    if (this.running[p] !== 1 || this.rate[p]!.zero) return;
    const st = this.cntBank.state;
    const w = this.cntWord[p]!;
    const bits = this.config.counterBits;
    const remaining = bits > 32 ? (2 ** (bits - 32) - 1 - st[w + 1]!) * TWO32 + (TWO32 - st[w]!) : 2 ** bits - st[w]!;
    if (remaining > MAX_SAFE - this.e0[p]!) return;
    const at = this.rate[p]!.when(this.e0[p]! + remaining);
    if (!Number.isFinite(at) || at > MAX_SAFE) return;
    this.nextOvf[p] = at;
    this.timers[p] = this.deps.clock.at(Math.max(at, this.deps.clock.now()), () => {
      this.timers[p] = undefined;
      this.overflowDue(p, Math.max(at, this.t0[p]!));
    });
  }

  private overflowDue(p: number, t: number): void {
    this.nextOvf[p] = Infinity;
    this.fold(p, t);
    this.schedule(p);
    this.updateIrq();
  }

  private setOverflow(p: number): void {
    const st = this.cntBank.state;
    const w = (REG.PMOVSCLR >> 2) + (p >> 5);
    st[w] = (st[w]! | (1 << (p & 31))) >>> 0;
    this.overflows++;
    if (this.fzoActive() && !this.frozen) {
      const t = this.lastAccess > this.deps.clock.now() ? this.lastAccess : this.deps.clock.now();
      this.foldAll(t);
      this.frozen = true;
      this.restartAll(t);
    }
  }

  private fzoActive(): boolean {
    return this.config.fzo && (this.page0.state[REG.PMCR >> 2]! & PMCR.FZO) !== 0;
  }

  private anyOverflow(): boolean {
    const st = this.cntBank.state;
    for (let r = 0; r < this.setClrRegs; r++) if (st[(REG.PMOVSCLR >> 2) + r] !== 0) return true;
    return false;
  }

  private overflowStatusChanged(): void {
    if (this.frozen && !this.anyOverflow()) {
      const t = this.accessTime();
      this.frozen = false;
      this.restartAll(t);
    } else if (!this.frozen && this.fzoActive() && this.anyOverflow()) {
      const t = this.accessTime();
      this.foldAll(t);
      this.frozen = true;
      this.restartAll(t);
    }
    this.updateIrq();
  }

  /** Drive the IRQ line: asserted while any overflow bit with its interrupt enabled is set. */
  private updateIrq(): void {
    const { irqs, irq } = this.deps;
    if (!irqs || irq === undefined) return;
    const ovs = this.cntBank.state;
    const cfg = this.page0.state;
    let level = false;
    for (let r = 0; r < this.setClrRegs && !level; r++) {
      level = (ovs[(REG.PMOVSCLR >> 2) + r]! & cfg[(REG.PMINTENSET >> 2) + r]!) !== 0;
    }
    if (level && !this.irqAsserted) {
      this.irqAsserted = true;
      irqs.raise(irq);
    } else if (!level && this.irqAsserted) {
      this.irqAsserted = false;
      irqs.lower(irq);
    }
  }
}
