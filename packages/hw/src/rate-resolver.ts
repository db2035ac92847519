// Which event function a counter follows: resolved from its event type, its filters and the PMIMPDEF words the workload reads; cached per selection and per counter.
import type { CounterIndex } from './counter-storage.js';
import { CYCLE_COUNTER_PHYS, REG, type RegisterLayout } from './cspmu-regs.js';
import { ConstantRate, type RateFunction } from './rate-function.js';
import { CYCLES, type Workload } from './workload.js';

/** Per counter slot: the selection (event, filter, filter2; low and high words) its rate was last resolved for, then the PMIMPDEF generation it was resolved in. */
const GEN = 6;
const STRIDE = 7;
/** The PMIMPDEF words of a PMU whose workload reads none: always zero, never written (impdefChanged has no word to copy). */
const NO_IMPDEF = new Uint32Array(32);

export class RateResolver {
  private readonly cycleRate: RateFunction;
  /** Made at the first lookup: an idle device never resolves a rate. */
  private rateCache: Map<string, RateFunction> | undefined;
  private readonly slotOf: Uint8Array;
  /** Per counter slot: six selection words and the generation (STRIDE numbers). */
  private readonly lastSel: Float64Array;
  private readonly lastRate: (RateFunction | undefined)[];
  /**
   * Per counter slot: 1 while lastRate is its rate for the selection now in
   * its registers and the PMIMPDEF words now read, so resolve returns it
   * without reading the six selection words. Cleared by selectionChanged (a
   * selection write that changed a word) and by a PMIMPDEF change.
   */
  private readonly currentFlags: Uint8Array;
  /** The PMIMPDEF words the workload reads for this PMU, their values now, and a generation bumped when they change. */
  private readonly impdefWords: readonly number[];
  private readonly impdef: Uint32Array;
  private impdefKey = '';
  private generation = 0;
  private readonly cyclesFromWorkload: boolean;
  /** Selections looked up because a counter's registers (or a PMIMPDEF word read) changed (for tests and diagnostics). */
  lookups = 0;

  constructor(
    private readonly label: string,
    private readonly hasCycleCounter: boolean,
    clockHz: number,
    private readonly layout: RegisterLayout,
    private readonly workload: Workload,
    /** The counters to keep a selection for, and their slots. */
    index: CounterIndex,
  ) {
    this.cycleRate = new ConstantRate(clockHz);
    this.slotOf = index.slotOf;
    this.lastSel = new Float64Array(index.slots * STRIDE);
    for (let s = 0; s < index.slots; s++) this.lastSel.fill(-1, s * STRIDE, s * STRIDE + GEN);
    this.lastRate = new Array<RateFunction | undefined>(index.slots).fill(undefined);
    this.currentFlags = new Uint8Array(index.slots);
    this.impdefWords = workload.impdefWordsFor(label);
    this.impdef = this.impdefWords.length > 0 ? new Uint32Array(32) : NO_IMPDEF;
    this.cyclesFromWorkload = workload.countsCycles(label);
  }

  /** Counter p's resolved rate while nothing it depends on was written since, else undefined (then resolve reads its registers). */
  current(p: number): RateFunction | undefined {
    const q = this.slotOf[p]!;
    return this.currentFlags[q] === 1 ? this.lastRate[q] : undefined;
  }

  /** The event function counter p follows for the event type and filters in `page0` (its register state). */
  resolve(p: number, page0: Uint32Array): RateFunction {
    const q = this.slotOf[p]!;
    if (this.currentFlags[q] === 1) return this.lastRate[q]!;
    const cycle = p === CYCLE_COUNTER_PHYS && this.hasCycleCounter;
    if (cycle && !this.cyclesFromWorkload) return this.cycleRate;
    const s = page0;
    const { selStride, filtered, ext64 } = this.layout;
    const sel = this.lastSel;
    const o = STRIDE * q;
    // Event type (PMCCFILTR on the cycle counter), filter, filter2: low word, then the high word (0 unless the registers are 64-bit).
    const type = (REG.PMEVTYPER + selStride * p) >> 2;
    const filter = (REG.PMEVFILTR + selStride * p) >> 2;
    const filter2 = (REG.PMEVFILT2R + selStride * p) >> 2;
    const hasFilters = p < filtered && !cycle;
    const t0 = s[type]!;
    const t1 = ext64 ? s[type + 1]! : 0;
    const f0 = hasFilters ? s[filter]! : 0;
    const f1 = hasFilters && ext64 ? s[filter + 1]! : 0;
    const g0 = hasFilters ? s[filter2]! : 0;
    const g1 = hasFilters && ext64 ? s[filter2 + 1]! : 0;
    // Unchanged since the last resolution (a counter re-enabled, PMCR.E toggled): no lookup, and nothing stored.
    const last = this.lastRate[q];
    if (
      last !== undefined &&
      sel[o + GEN] === this.generation &&
      sel[o] === t0 &&
      sel[o + 1] === t1 &&
      sel[o + 2] === f0 &&
      sel[o + 3] === f1 &&
      sel[o + 4] === g0 &&
      sel[o + 5] === g1
    ) {
      this.currentFlags[q] = 1;
      return last;
    }
    sel[o] = t0;
    sel[o + 1] = t1;
    sel[o + 2] = f0;
    sel[o + 3] = f1;
    sel[o + 4] = g0;
    sel[o + 5] = g1;
    this.lookups++;
    const key = `${sel.subarray(STRIDE * q, STRIDE * q + GEN).join('/')}${cycle ? '/c' : ''}${this.impdefKey}`;
    this.rateCache ??= new Map();
    let f = this.rateCache.get(key);
    if (!f) {
      const w = STRIDE * q;
      // The workload names events by number: a 64-bit event type is exact below 2^53, which covers every stream.
      f = cycle
        ? this.workload.resolve({ label: this.label, event: CYCLES, filter: sel[w]!, filterHi: sel[w + 1]!, filter2: 0, impdef: this.impdef })
        : this.workload.resolve({
            label: this.label,
            event: sel[w]! + sel[w + 1]! * 4294967296,
            filter: sel[w + 2]!,
            filterHi: sel[w + 3]!,
            filter2: sel[w + 4]!,
            filter2Hi: sel[w + 5]!,
            impdef: this.impdef,
          });
      this.rateCache.set(key, f);
    }
    this.lastRate[q] = f;
    sel[STRIDE * q + GEN] = this.generation;
    this.currentFlags[q] = 1;
    return f;
  }

  /** A write changed a word of counter p's selection (or may have: a 64-bit one's high half): resolve reads its registers again. */
  selectionChanged(p: number): void {
    this.currentFlags[this.slotOf[p]!] = 0;
  }

  /**
   * PMIMPDEF was written: take the words the workload reads from `page0`.
   * Returns true if one changed, so every counter's rate must be resolved again.
   */
  impdefChanged(page0: Uint32Array): boolean {
    let changed = false;
    for (const i of this.impdefWords) {
      const v = page0[(REG.PMIMPDEF >> 2) + i]!;
      if (this.impdef[i] !== v) changed = true;
      this.impdef[i] = v;
    }
    if (!changed) return false;
    this.generation++;
    this.currentFlags.fill(0);
    // Array.from, not map(): V8 11.3's map() result changes hidden class once this is optimised, deoptimising join().
    this.impdefKey = Array.from(this.impdefWords, (i) => `/i${this.impdef[i]}`).join('');
    return true;
  }
}
