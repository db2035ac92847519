// The CoreSight PMU device model: registers on one or two pages, the counter engine, overflow status, the IRQ line and FZO.
import { kerr } from '@cspmu/kernel';
import { type AddressMap, type Region, RegisterBank, type WriteHooks } from '@cspmu/mmio';
import { CounterEngine } from './counter-engine.js';
import { CounterRuns } from './counter-runs.js';
import { type CspmuModelConfig, type CspmuModelDeps, checkModelConfig } from './cspmu-config.js';
import { CspmuLayouts } from './cspmu-layouts.js';
import { HOOK, type RegisterHooks } from './cspmu-register-map.js';
import { CYCLE_COUNTER_PHYS, implementedCounters, makePmcfgr, makePmiidr, PMCR, REG, type RegisterLayout, registerLayout } from './cspmu-regs.js';
import { OverflowBatcher } from './overflow-batch.js';
import { OverflowLine } from './overflow-line.js';
import { RateResolver } from './rate-resolver.js';
import { WindowReplayer } from './window-replay.js';

export type { CspmuModelConfig, CspmuModelDeps } from './cspmu-config.js';

/** The words a counter read fills, [low, high]: shared by every model, as each read takes them straight back out. */
const READ_WORDS = new Uint32Array(2);

/**
 * The CoreSight PMU device model (IHI 0091 semantics, as far as Linux relies
 * on them): its register map on one or two pages, a lazy counter engine, the
 * freeze-on-overflow rule and the overflow interrupt line.
 */
export class CspmuModel implements RegisterHooks, WriteHooks {
  readonly page0: RegisterBank;
  readonly page1: RegisterBank | undefined;
  readonly pmiidr: number;
  readonly pmcfgr: number;
  readonly implemented: readonly number[];
  readonly setClrRegs: number;
  readonly layout: RegisterLayout;

  private readonly cntBank: RegisterBank;
  /** Per physical counter up to the highest implemented one: the state word of its low half, or -1 (shared by the devices of this kind). */
  private readonly cntWord: Int32Array;
  private readonly engine: CounterEngine;
  private readonly batcher: OverflowBatcher;
  private readonly rates: RateResolver;
  private readonly runs: CounterRuns;
  private frozen = false;
  /** page0's state (PMCR, the enables and selections), the word of PMCR in it, and the clock: read by every hooked write. */
  private readonly cfg: Uint32Array;
  private readonly pmcrWord: number;
  private readonly clock: CspmuModelDeps['clock'];
  private readonly line: OverflowLine;
  private lastAccess = 0;
  private readonly latency: number; // config.accessLatencyNs, read on every register access
  /** Overflows seen (for tests and diagnostics). */
  overflows = 0;
  /** Counter restarts: how often a counter's way of counting was re-derived (for tests and diagnostics). */
  restarts = 0;

  constructor(
    readonly config: CspmuModelConfig,
    deps: CspmuModelDeps,
  ) {
    const c = config;
    checkModelConfig(c);
    this.latency = c.accessLatencyNs;
    this.clock = deps.clock;
    this.layout = registerLayout(c.ext64);
    this.pmcrWord = this.layout.pmcr >> 2;
    this.implemented = implementedCounters(c.counters, c.cycleCounter);
    this.setClrRegs = Math.ceil((this.implemented.at(-1)! + 1) / 32);
    this.pmiidr = makePmiidr(c.implementer, c.product, c.variant, c.revision);
    this.pmcfgr = makePmcfgr(c.counters, c.counterBits, c.cycleCounter, c.fzo);
    const layouts = (deps.layouts ?? new CspmuLayouts()).of(c, this);
    const index = layouts.counters;
    this.cntWord = index.wordOf;
    this.rates = new RateResolver(c.label, c.cycleCounter, c.clockHz, this.layout, deps.workload, index);
    this.page0 = new RegisterBank(`${c.label}.page0`, 0x1000, layouts.page0, this);
    this.page1 = layouts.page1 && new RegisterBank(`${c.label}.page1`, 0x1000, layouts.page1, this);
    this.cntBank = this.page1 ?? this.page0;
    this.cfg = this.page0.state;
    this.engine = new CounterEngine(c.counterBits, { words: this.cntBank.state, index }, deps.clock, (p, t) => this.overflowDue(p, t));
    this.batcher = new OverflowBatcher(
      this.engine,
      deps.clock,
      deps.irqs,
      deps.irq,
      this.cntBank.state,
      index,
      REG.PMOVSCLR >> 2,
      this.setClrRegs,
      c.counterBits,
    );
    this.line = new OverflowLine(deps.irqs, deps.irq, this.cntBank.state, this.page0.state, this.setClrRegs);
    this.runs = new CounterRuns(index, this.cntBank.state, c.counterBits > 32);
    // A freeze and an asserted interrupt each need an overflow bit set, and only a PMOVSCLR write clears one (overflowStatusChanged,
    // which ends the freeze and lowers the line then), so no bit set means neither: testing them as well would be dead code.
    const quiet = () => c.accessLatencyNs === 0 && !this.anyOverflow();
    this.page0.service = new WindowReplayer(this.engine, this.runs, deps.clock, c.counterBits, this.cntBank.state, this.cntWord, this.implemented, quiet);
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
    for (const p of this.implemented) this.engine.cancel(p);
  }

  /** Current value of a physical counter as a bigint (for tests and tools; not the bus). */
  counterValue(phys: number): bigint {
    if (!(this.cntWord[phys]! >= 0)) throw kerr('EINVAL', `${this.config.label}: counter ${phys} does not exist on this PMU`);
    this.engine.read(phys, this.clock.now(), READ_WORDS);
    return (BigInt(READ_WORDS[1]!) << 32n) | BigInt(READ_WORDS[0]!);
  }

  /** How often a counter's rate was looked up again because what selects it changed (reads never look it up). */
  get rateLookups(): number {
    return this.rates.lookups;
  }

  get irqLineAsserted(): boolean {
    return this.line.isAsserted;
  }

  // ---- bus hooks (RegisterHooks, WriteHooks): the register map's registers call these, with this model as its banks' context ----

  /** A counter write (the only register with hookFirst): its progress is folded into the value the write replaces. */
  beforeWrite(hook: number, arg: number): void {
    if (hook === HOOK.COUNTER) this.fold(arg, this.accessTime());
  }

  /** A write has been applied: each kind reacts only to what it changed (all but the interrupt and overflow registers take the device's time). */
  afterWrite(hook: number, arg: number, actions: number, old: number): void {
    switch (hook) {
      case HOOK.COUNTER:
        this.counterWritten(arg);
        break;
      case HOOK.SELECTION:
        this.selectionChanged(arg);
        break;
      case HOOK.ENABLE:
        this.enableChanged(arg, old);
        break;
      case HOOK.INT_ENABLE:
        this.line.drive();
        break;
      case HOOK.OVERFLOW:
        this.overflowStatusChanged();
        break;
      case HOOK.IMPDEF:
        this.impdefChanged();
        break;
      case HOOK.PMCR:
        this.pmcrChanged(actions, old);
        break;
    }
  }

  private counterWritten(p: number): void {
    this.engine.written(p, this.lastAccess);
    if (this.runs.isOpen(p)) this.runs.restart(p, this.lastAccess, this.engine.runningRate(p), true);
    this.line.driveIfStale();
  }

  /** A selection written while counter p counts: fold the old one up to now, then count the new one (a stopped counter resolves it when it starts). */
  private selectionChanged(p: number): void {
    const t = this.accessTime();
    if (!this.isCounting(p)) return;
    this.fold(p, t);
    if (this.isCounting(p)) this.restart(p, t); // unless the fold froze the counters, which stopped this one
    this.line.driveIfStale();
  }

  /** PMIMPDEF written: if a word the workload reads changed, every counter counts on at its new rate from now. */
  private impdefChanged(): void {
    const t = this.accessTime();
    if (!this.rates.impdefChanged(this.cfg)) return;
    this.foldAll(t);
    this.restartAll(t);
    this.line.driveIfStale();
  }

  /** The device-side time of an access: the clock, plus bus latency for back-to-back accesses. */
  private accessTime(): number {
    const now = this.clock.now();
    return this.latency === 0 ? (this.lastAccess = now) : this.laterAccessTime(now);
  }

  /** accessTime with a bus latency: a back-to-back access waits for the one before (apart, so the read path stays small). */
  private laterAccessTime(now: number): number {
    this.lastAccess = now > this.lastAccess ? now : this.lastAccess + this.latency;
    return this.lastAccess;
  }

  readCounterHalf(p: number, half: 0 | 1): number {
    const t = this.accessTime();
    if (this.engine.overflowBy(p, t)) this.overflowDue(p, t);
    this.engine.read(p, t, READ_WORDS);
    return READ_WORDS[half]!;
  }

  /** A 64-bit counter's single-copy-atomic read (only wide counters have one). */
  readCounter64(p: number, out: Uint32Array): void {
    const t = this.accessTime();
    if (this.engine.overflowBy(p, t)) this.overflowDue(p, t);
    this.engine.readWide(p, t, out);
  }

  /** Fold the counter's progress up to t into its stored value; a wrap sets its overflow bit. */
  private fold(p: number, t: number): void {
    if (this.engine.fold(p, t)) this.setOverflow(p);
  }

  private foldAll(t: number): void {
    for (const p of this.implemented) this.fold(p, t);
  }
  /** True while PMCR.E is set and no overflow freezes the counters: only then does a PMCNTEN bit start or stop one. */
  private countersRun(): boolean {
    return (this.cfg[this.pmcrWord]! & PMCR.E) !== 0 && !this.frozen;
  }

  private isCounting(p: number): boolean {
    return this.countersRun() && ((this.cfg[(REG.PMCNTENSET >> 2) + (p >> 5)]! >>> (p & 31)) & 1) === 1;
  }

  /** A PMCNTENSET/CLR word changed: fold and restart only the counters whose bit moved, and none while counters do not run. */
  private enableChanged(r: number, old: number): void {
    const t = this.accessTime();
    const changed = (old ^ this.cfg[(REG.PMCNTENSET >> 2) + r]!) >>> 0;
    if (changed === 0 || !this.countersRun()) return;
    for (let bits = changed; bits !== 0; bits &= bits - 1) {
      const p = r * 32 + (31 - Math.clz32(bits & -bits));
      if (!(this.cntWord[p]! >= 0)) continue;
      this.fold(p, t);
      this.restart(p, t);
    }
    this.line.driveIfStale();
  }

  /**
   * PMCR written over `old`: P or C written as 1 reset the event or cycle
   * counters; if that happened or E or FZO changed, fold and restart the
   * enabled counters. Only they can start or stop: a counter whose PMCNTEN
   * bit is clear is stopped whatever PMCR says, and has no progress to fold
   * or overflow to schedule.
   */
  private pmcrChanged(actions: number, old: number): void {
    const t = this.accessTime();
    if (actions === 0 && ((old ^ this.cfg[this.pmcrWord]!) & (PMCR.E | PMCR.FZO)) === 0) return;
    if (actions !== 0) {
      this.foldAll(t);
      this.resetCounters(actions);
    }
    this.eachEnabled(t, false);
    this.eachEnabled(t, true);
    this.line.driveIfStale();
  }

  /** Fold (or restart) every counter whose PMCNTEN bit is set, lowest first. */
  private eachEnabled(t: number, restart: boolean): void {
    const s = this.cfg;
    for (let r = 0; r < this.setClrRegs; r++) {
      let bits = s[(REG.PMCNTENSET >> 2) + r]!;
      while (bits !== 0) {
        const p = r * 32 + (31 - Math.clz32(bits & -bits));
        bits &= bits - 1;
        if (restart) this.restart(p, t);
        else this.fold(p, t);
      }
    }
  }

  /** Re-derive whether and how counter p counts, from time t (its progress is already folded). */
  private restart(p: number, t: number): void {
    this.restarts++;
    const rate = this.isCounting(p) ? this.rates.resolve(p, this.cfg) : undefined;
    this.runs.restart(p, t, rate, this.engine.lastWrittenAt(p) === t);
    this.engine.restart(p, t, rate);
  }

  private restartAll(t: number): void {
    for (const p of this.implemented) this.restart(p, t);
  }

  private resetCounters(bits: number): void {
    for (const p of this.implemented) {
      const isCycle = p === CYCLE_COUNTER_PHYS && this.config.cycleCounter;
      if ((isCycle && bits & PMCR.C) || (!isCycle && bits & PMCR.P)) this.engine.zero(p);
    }
  }

  // ---- overflow, freeze and interrupt ----

  private overflowDue(p: number, t: number): void {
    this.engine.clearOverflowDue(p);
    this.fold(p, t);
    this.engine.schedule(p);
    const alone = this.batcher.beforeDelivery(p);
    this.line.drive();
    if (alone && !this.line.isAsserted && !this.frozen && !this.fzoActive()) this.overflows += this.batcher.afterDelivery(p, t);
  }

  private setOverflow(p: number): void {
    const st = this.cntBank.state;
    const w = (REG.PMOVSCLR >> 2) + (p >> 5);
    st[w] = (st[w]! | (1 << (p & 31))) >>> 0;
    this.overflows++;
    this.line.overflowSet();
    if (this.fzoActive() && !this.frozen) {
      const t = Math.max(this.lastAccess, this.clock.now());
      this.foldAll(t);
      this.frozen = true;
      this.restartAll(t);
    }
  }

  private fzoActive(): boolean {
    return this.config.fzo && (this.cfg[this.pmcrWord]! & PMCR.FZO) !== 0;
  }

  private anyOverflow(): boolean {
    for (let r = 0; r < this.setClrRegs; r++) if (this.cntBank.state[(REG.PMOVSCLR >> 2) + r] !== 0) return true;
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
    this.line.drive();
  }
}
