// The CoreSight PMU device model: registers on one or two pages, the counter engine, overflow status, the IRQ line and FZO.
import { kerr } from '@cspmu/kernel';
import { type AddressMap, type Region, RegisterBank, type WriteHooks } from '@cspmu/mmio';
import { CounterEngine } from './counter-engine.js';
import { CounterRuns } from './counter-runs.js';
import { type CspmuModelConfig, type CspmuModelDeps, checkModelConfig } from './cspmu-config.js';
import { CspmuLayouts } from './cspmu-layouts.js';
import { HOOK, type RegisterHooks } from './cspmu-register-map.js';
import { CYCLE_COUNTER_PHYS, implementedCounters, makePmiidr, PMCFGR, PMCR, REG, type RegisterLayout, registerLayout } from './cspmu-regs.js';
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
  private oldWord = 0;
  private frozen = false;
  private readonly line: OverflowLine;
  private lastAccess = 0;
  private readonly latency: number; // config.accessLatencyNs, read on every register access
  /** Overflows seen (for tests and diagnostics). */
  overflows = 0;
  /** Counter restarts: how often a counter's way of counting was re-derived (for tests and diagnostics). */
  restarts = 0;

  constructor(
    readonly config: CspmuModelConfig,
    private readonly deps: CspmuModelDeps,
  ) {
    const c = config;
    checkModelConfig(c);
    this.latency = c.accessLatencyNs;
    this.layout = registerLayout(c.ext64);
    this.implemented = implementedCounters(c.counters, c.cycleCounter);
    this.setClrRegs = Math.ceil((this.implemented.at(-1)! + 1) / 32);
    this.pmiidr = makePmiidr(c.implementer, c.product, c.variant, c.revision);
    this.pmcfgr =
      ((c.counters - 1) & PMCFGR.N_MASK) |
      (((c.counterBits - 1) & PMCFGR.SIZE_MASK) << PMCFGR.SIZE_SHIFT) |
      (c.cycleCounter ? PMCFGR.CC : 0) |
      (c.fzo ? PMCFGR.FZO : 0);
    const layouts = (deps.layouts ?? new CspmuLayouts()).of(c, this);
    const index = layouts.counters;
    this.cntWord = index.wordOf;
    this.rates = new RateResolver(c.label, c.cycleCounter, c.clockHz, this.layout, deps.workload, index);
    this.page0 = new RegisterBank(`${c.label}.page0`, 0x1000, layouts.page0, this);
    this.page1 = layouts.page1 && new RegisterBank(`${c.label}.page1`, 0x1000, layouts.page1, this);
    this.cntBank = this.page1 ?? this.page0;
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
    const words = READ_WORDS;
    this.engine.read(phys, this.deps.clock.now(), words);
    return (BigInt(words[1]!) << 32n) | BigInt(words[0]!);
  }

  /** How often a counter's rate was looked up again because what selects it changed (reads never look it up). */
  get rateLookups(): number {
    return this.rates.lookups;
  }

  get irqLineAsserted(): boolean {
    return this.line.isAsserted;
  }

  // ---- bus hooks (RegisterHooks, WriteHooks): the register map's registers call these, with this model as its banks' context ----

  /** Every hooked write but the interrupt and overflow registers takes the device's time; counter and selection writes fold first. */
  beforeWrite(hook: number, arg: number): void {
    if (hook === HOOK.INT_ENABLE || hook === HOOK.OVERFLOW) return;
    const t = this.accessTime();
    if (hook === HOOK.COUNTER || hook === HOOK.SELECTION) this.fold(arg, t);
    else if (hook === HOOK.ENABLE) this.oldWord = this.page0.state[(REG.PMCNTENSET >> 2) + arg]!;
    else if (hook === HOOK.PMCR) this.oldWord = this.page0.state[this.layout.pmcr >> 2]!;
  }

  afterWrite(hook: number, arg: number, actions: number): void {
    switch (hook) {
      case HOOK.COUNTER:
        this.counterWritten(arg);
        break;
      case HOOK.SELECTION:
        this.selectionChanged(arg);
        break;
      case HOOK.ENABLE:
        this.enableChanged(arg);
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
        if (actions !== 0) this.pmcrAction(actions);
        this.pmcrChanged();
        break;
    }
  }

  private counterWritten(p: number): void {
    this.engine.written(p, this.lastAccess);
    if (this.runs.isOpen(p)) this.runs.restart(p, this.lastAccess, this.engine.runningRate(p), true);
    this.line.driveIfStale();
  }

  /** A new selection changes how counter p counts only while it counts: a stopped counter resolves its selection when it starts. */
  private selectionChanged(p: number): void {
    if (!this.isCounting(p)) return;
    this.restart(p, this.lastAccess);
    this.line.driveIfStale();
  }

  /** PMIMPDEF written: if a word the workload reads changed, every counter counts on at its new rate from now. */
  private impdefChanged(): void {
    if (!this.rates.impdefChanged(this.page0.state)) return;
    const t = this.lastAccess;
    this.foldAll(t);
    this.restartAll(t);
    this.line.driveIfStale();
  }

  /** PMCR.P or PMCR.C written as 1: reset the event or cycle counters. */
  private pmcrAction(bits: number): void {
    this.foldAll(this.lastAccess);
    this.resetCounters(bits);
    this.oldWord = -1;
  }

  /** The device-side time of an access: the clock, plus bus latency for back-to-back accesses. */
  private accessTime(): number {
    const now = this.deps.clock.now();
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
    const words = READ_WORDS;
    this.engine.read(p, t, words);
    return words[half]!;
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
    return (this.page0.state[this.layout.pmcr >> 2]! & PMCR.E) !== 0 && !this.frozen;
  }

  private isCounting(p: number): boolean {
    return this.countersRun() && ((this.page0.state[(REG.PMCNTENSET >> 2) + (p >> 5)]! >>> (p & 31)) & 1) === 1;
  }

  /** A PMCNTENSET/CLR word changed: fold and restart only the counters whose bit moved, and none while counters do not run. */
  private enableChanged(r: number): void {
    const changed = (this.oldWord ^ this.page0.state[(REG.PMCNTENSET >> 2) + r]!) >>> 0;
    if (changed === 0 || !this.countersRun()) return;
    const t = this.lastAccess;
    for (let bits = changed; bits !== 0; bits &= bits - 1) {
      const p = r * 32 + (31 - Math.clz32(bits & -bits));
      if (!(this.cntWord[p]! >= 0)) continue;
      this.fold(p, t);
      this.restart(p, t);
    }
    this.line.driveIfStale();
  }

  /**
   * PMCR written: if E or FZO changed or counters were reset, fold and
   * restart the enabled counters. Only they can start or stop: a counter
   * whose PMCNTEN bit is clear is stopped whatever PMCR says, and has no
   * progress to fold or overflow to schedule.
   */
  private pmcrChanged(): void {
    const now = this.page0.state[this.layout.pmcr >> 2]!;
    if (this.oldWord !== -1 && ((this.oldWord ^ now) & (PMCR.E | PMCR.FZO)) === 0) return;
    const t = this.lastAccess;
    this.eachEnabled(t, false);
    this.eachEnabled(t, true);
    this.line.driveIfStale();
  }

  /** Fold (or restart) every counter whose PMCNTEN bit is set, lowest first. */
  private eachEnabled(t: number, restart: boolean): void {
    const s = this.page0.state;
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
    const rate = this.isCounting(p) ? this.rates.resolve(p, this.page0.state) : undefined;
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
      const t = Math.max(this.lastAccess, this.deps.clock.now());
      this.foldAll(t);
      this.frozen = true;
      this.restartAll(t);
    }
  }

  private fzoActive(): boolean {
    return this.config.fzo && (this.page0.state[this.layout.pmcr >> 2]! & PMCR.FZO) !== 0;
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
