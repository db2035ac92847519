// The CoreSight PMU device model: registers on one or two pages, the counter engine, overflow status, the IRQ line and FZO.
import { kerr } from '@cspmu/kernel';
import { type AddressMap, type Region, RegisterBank, type WriteHooks } from '@cspmu/mmio';
import { CounterEngine } from './counter-engine.js';
import { CounterRuns } from './counter-runs.js';
import { attachPages } from './cspmu-attach.js';
import { type CspmuModelConfig, type CspmuModelDeps, checkModelConfig } from './cspmu-config.js';
import { CspmuLayouts } from './cspmu-layouts.js';
import type { RegisterHooks } from './cspmu-register-map.js';
import { CYCLE_COUNTER_PHYS, implementedCounters, makePmcfgr, makePmiidr, PMCR, REG, type RegisterLayout, registerLayout } from './cspmu-regs.js';
import { OverflowBatcher } from './overflow-batch.js';
import { OverflowLine } from './overflow-line.js';
import { RateResolver } from './rate-resolver.js';
import { WindowReplayer } from './window-replay.js';

export type { CspmuModelConfig, CspmuModelDeps } from './cspmu-config.js';

/** The words a counter read fills, [low, high]: shared by every model, as each read takes them straight back out. */
const READ_WORDS = new Uint32Array(2);

/**
 * The CoreSight PMU device model (IHI 0091 semantics, as far as Linux relies on them): its register map on one or two pages, a lazy counter engine, the
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
  /** 1 while an overflow freezes the counters (FZO), else 0: a number, since V8 tests a boolean field's value generically. */
  private frozen = 0;
  /** page0's state (PMCR, the enables and selections), the word of PMCR in it, and the clock: read by every hooked write. */
  private readonly cfg: Uint32Array;
  private readonly pmcrWord: number;
  /** Where PMCNTENSET, PMOVSCLR and PMINTENSET begin (fixed by the architecture), as fields: a module constant costs a hole check per use. */
  private readonly cntenWord = REG.PMCNTENSET >> 2;
  private readonly ovsWord = REG.PMOVSCLR >> 2;
  private readonly intenWord = REG.PMINTENSET >> 2;
  private readonly ovsState: Uint32Array; // the state holding PMOVSCLR (page 1's on a dual-page PMU)
  /** EXT64's 64-bit selection registers: a write's old word is only their low half. */
  private readonly wideSelections: number;
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
    this.wideSelections = this.layout.ext64 ? 1 : 0;
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
    const runs = new CounterRuns(index);
    this.engine = new CounterEngine(c.counterBits, { words: this.cntBank.state, index }, deps.clock, (p, t) => this.overflowDue(p, t), runs);
    const cnt = (this.ovsState = this.cntBank.state);
    this.batcher = new OverflowBatcher(this.engine, deps.clock, deps.irqs, deps.irq, cnt, index, this.ovsWord, this.setClrRegs, c.counterBits);
    this.line = new OverflowLine(deps.irqs, deps.irq, cnt, this.page0.state, this.setClrRegs);
    // A freeze and an asserted interrupt each need an overflow bit set (only a PMOVSCLR write clears one; clearing FZO never starts a freeze): none set means neither.
    const quiet = () => c.accessLatencyNs === 0 && !this.anyOverflow();
    this.page0.service = new WindowReplayer(this.engine, runs, deps.clock, c.counterBits, this.cntBank.state, this.cntWord, this.implemented, quiet);
  }

  /** Map the pages at their physical bases; returns the regions mapped. */
  attach(map: AddressMap, owner: string, base0: number, base1?: number): Region[] {
    return attachPages(map, owner, this.config.dualPage, [this.page0, base0], this.page1 && [this.page1, base1]);
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
    if (hook === 1) this.fold(arg, this.accessTime()); // HOOK.COUNTER
  }

  /** A write has been applied: each kind reacts only to what it changed (all but the interrupt and overflow registers take the device's time). */
  afterWrite(hook: number, arg: number, actions: number, old: number): void {
    // HOOK's codes as literals (cspmu-register-map.ts; test/hook-codes.spec.ts pins both): a module constant would cost V8 a hole check per compare, on every write.
    switch (hook) {
      case 1: // HOOK.COUNTER
        this.counterWritten(arg);
        break;
      case 2: // HOOK.SELECTION
        this.selectionWritten(arg & 0xff, arg >>> 8, old);
        break;
      case 3: // HOOK.ENABLE
        this.enableWritten(arg, old);
        break;
      case 4: // HOOK.INT_ENABLE, word arg: the level moves only if an enable that changed has its overflow bit set (an access that sets one drives the line)
        if (((old ^ this.cfg[this.intenWord + arg]!) & this.ovsState[this.ovsWord + arg]!) !== 0) this.line.drive();
        break;
      case 5: // HOOK.OVERFLOW
        this.overflowStatusChanged();
        break;
      case 6: // HOOK.IMPDEF
        this.impdefChanged();
        break;
      case 7: // HOOK.PMCR
        this.pmcrWritten(actions, old);
        break;
    }
  }

  private counterWritten(p: number): void {
    this.engine.preloaded(p, this.lastAccess);
    this.line.driveIfStale();
  }

  // Each write handler tests whether the write changed what starts, stops or re-times a counter, and does that work apart: most
  // writes change nothing of the kind, and the small test fits V8's inlining budget for the bank's write, where the work would not.

  /** Selection word `word` of counter p written over `old`: a change means resolving its rate again (when it next starts, if stopped). */
  private selectionWritten(p: number, word: number, old: number): void {
    const t = this.accessTime();
    if (old !== this.cfg[word] || this.wideSelections !== 0) this.rates.selectionChanged(p);
    if (this.isCounting(p)) this.recount(p, t);
  }

  /** Counter p counts on under a new selection from t: fold the old one up to t, then restart it. */
  private recount(p: number, t: number): void {
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
    return (this.cfg[this.pmcrWord]! & 1 & ~this.frozen) !== 0; // PMCR.E
  }

  private isCounting(p: number): boolean {
    return this.countersRun() && ((this.cfg[this.cntenWord + (p >> 5)]! >>> (p & 31)) & 1) === 1;
  }

  /** A PMCNTENSET/CLR word written over `old`: the counters whose bit moved start or stop, none while counters do not run. */
  private enableWritten(r: number, old: number): void {
    const t = this.accessTime();
    const changed = old ^ this.cfg[this.cntenWord + r]!;
    if (changed !== 0 && this.countersRun()) this.enablesMoved(r, changed, t);
  }

  /** Fold and restart only the counters of word r whose bit is set in `changed`. */
  private enablesMoved(r: number, changed: number, t: number): void {
    for (let bits = changed; bits !== 0; bits &= bits - 1) {
      const p = r * 32 + (31 - Math.clz32(bits & -bits));
      if (!(this.cntWord[p]! >= 0)) continue;
      this.fold(p, t);
      this.restart(p, t);
    }
    this.line.driveIfStale();
  }

  /**
   * PMCR written over `old`: P or C written as 1 reset the event or cycle counters; if that happened or E or FZO changed, fold the enabled counters, work
   * out the freeze again, and restart them. Only they can start or stop: a counter whose PMCNTEN bit is clear is stopped whatever PMCR says, and has no
   * progress to fold or overflow to schedule.
   */
  private pmcrWritten(actions: number, old: number): void {
    const t = this.accessTime();
    const moved = old ^ this.cfg[this.pmcrWord]!;
    if (actions !== 0 || (moved & 0x201) !== 0) this.pmcrChanged(actions, old, moved, t); // PMCR.E | PMCR.FZO
  }

  private pmcrChanged(actions: number, old: number, moved: number, t: number): void {
    if (actions !== 0) {
      this.foldAll(t);
      this.resetCounters(actions);
    }
    const fold = (old & 1) !== 0 && this.frozen === 0; // only a counting counter has progress: E was set and nothing froze them
    if ((moved & 0x200) !== 0) {
      if (fold) this.eachEnabled(t, 1);
      this.frozen = this.fzoActive() && this.anyOverflow() ? 1 : 0; // FZO set and an overflow pending (a wrap the fold found froze them if FZO asks)
      this.eachEnabled(t, 2);
    } else this.eachEnabled(t, fold ? 3 : 2);
    this.line.driveIfStale();
  }

  /**
   * Fold (`what` bit 1), then restart (bit 2), each counter whose PMCNTEN bit is set, lowest first, in one pass: past a reset's foldAll a fold finds
   * nothing, else progress only as E goes 1 to 0, when every restart stops (a freeze it starts stops all). Bits as int32: above 2^31 V8 loops on doubles.
   */
  private eachEnabled(t: number, what: number): void {
    const s = this.cfg;
    for (let r = 0; r < this.setClrRegs; r++) {
      for (let bits = s[this.cntenWord + r]! | 0; bits !== 0; bits &= bits - 1) {
        const p = r * 32 + (31 - Math.clz32(bits & -bits));
        if ((what & 1) !== 0) this.fold(p, t);
        if ((what & 2) !== 0) this.restart(p, t);
      }
    }
  }

  /** Re-derive whether and how counter p counts, from time t (its progress is already folded). */
  private restart(p: number, t: number): void {
    this.restarts++;
    if (this.isCounting(p)) this.engine.start(p, t, this.rates.current(p) ?? this.rates.resolve(p, this.cfg));
    else this.engine.stop(p, t);
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
    if (alone && !this.line.isAsserted && this.frozen === 0 && !this.fzoActive()) this.overflows += this.batcher.afterDelivery(p, t);
  }

  private setOverflow(p: number): void {
    const st = this.ovsState;
    const w = this.ovsWord + (p >> 5);
    st[w] = (st[w]! | (1 << (p & 31))) >>> 0;
    this.overflows++;
    this.line.overflowSet();
    if (this.fzoActive() && this.frozen === 0) {
      const t = Math.max(this.lastAccess, this.clock.now());
      this.foldAll(t);
      this.frozen = 1;
      this.restartAll(t);
    }
  }

  private fzoActive(): boolean {
    return this.config.fzo && (this.cfg[this.pmcrWord]! & 0x200) !== 0; // PMCR.FZO
  }

  private anyOverflow(): boolean {
    for (let r = 0; r < this.setClrRegs; r++) if (this.ovsState[this.ovsWord + r] !== 0) return true;
    return false;
  }

  private overflowStatusChanged(): void {
    if (this.frozen !== 0 && !this.anyOverflow()) {
      const t = this.accessTime();
      this.frozen = 0;
      this.restartAll(t);
    } else if (this.frozen === 0 && this.fzoActive() && this.anyOverflow()) {
      const t = this.accessTime();
      this.foldAll(t);
      this.frozen = 1;
      this.restartAll(t);
    }
    this.line.drive();
  }
}
