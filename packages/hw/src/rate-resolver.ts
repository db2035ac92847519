// Which event function a counter follows: resolved from its event type, its filters and the PMIMPDEF words the workload reads; cached per selection and per counter.
import { CYCLE_COUNTER_PHYS, REG, type RegisterLayout } from './cspmu-regs.js';
import { ConstantRate, type RateFunction } from './rate-function.js';
import { CYCLES, type Workload } from './workload.js';

export class RateResolver {
  private readonly cycleRate: RateFunction;
  private readonly rateCache = new Map<string, RateFunction>();
  /** Per counter: the selection (event, filter, filter2; low and high words) its rate was last resolved for. */
  private readonly lastSel: Float64Array;
  private readonly lastRate: (RateFunction | undefined)[];
  /** Per counter: the PMIMPDEF generation its rate was resolved in. */
  private readonly lastGen: Float64Array;
  /** The PMIMPDEF words the workload reads for this PMU, their values now, and a generation bumped when they change. */
  private readonly impdefWords: readonly number[];
  private readonly impdef = new Uint32Array(32);
  private impdefKey = '';
  private generation = 0;
  private readonly cyclesFromWorkload: boolean;
  private readonly cycleSlot: number;
  /** Selections looked up because a counter's registers (or a PMIMPDEF word read) changed (for tests and diagnostics). */
  lookups = 0;

  constructor(
    private readonly label: string,
    private readonly hasCycleCounter: boolean,
    clockHz: number,
    private readonly layout: RegisterLayout,
    private readonly workload: Workload,
    /** Counters to keep a selection for: one past the highest implemented index. */
    slots: number,
  ) {
    this.cycleRate = new ConstantRate(clockHz);
    this.cycleSlot = slots;
    this.lastSel = new Float64Array((slots + 1) * 6).fill(-1);
    this.lastRate = new Array<RateFunction | undefined>(slots + 1).fill(undefined);
    this.lastGen = new Float64Array(slots + 1);
    this.impdefWords = workload.impdefWordsFor(label);
    this.cyclesFromWorkload = workload.countsCycles(label);
  }

  /** The event function counter p follows for the event type and filters in `page0` (its register state). */
  resolve(p: number, page0: Uint32Array): RateFunction {
    const cycle = p === CYCLE_COUNTER_PHYS && this.hasCycleCounter;
    if (cycle && !this.cyclesFromWorkload) return this.cycleRate;
    const s = page0;
    // The cycle counter keeps its selection in the slot after the event counters'.
    const q = cycle ? this.cycleSlot : p;
    const { selStride, filtered, ext64 } = this.layout;
    const sel = this.lastSel;
    let same = this.lastRate[q] !== undefined && this.lastGen[q] === this.generation;
    // Event type (PMCCFILTR on the cycle counter), filter, filter2: low word, then the high word (0 unless the registers are 64-bit).
    for (let i = 0; i < 6; i++) {
      const base = i < 2 ? REG.PMEVTYPER : i < 4 ? REG.PMEVFILTR : REG.PMEVFILT2R;
      const half = i & 1;
      const v = (i < 2 || (p < filtered && !cycle)) && (half === 0 || ext64) ? s[((base + selStride * p) >> 2) + half]! : 0;
      if (sel[6 * q + i] !== v) same = false;
      sel[6 * q + i] = v;
    }
    if (same) return this.lastRate[q]!;
    this.lookups++;
    const key = `${sel.subarray(6 * q, 6 * q + 6).join('/')}${cycle ? '/c' : ''}${this.impdefKey}`;
    let f = this.rateCache.get(key);
    if (!f) {
      const w = 6 * q;
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
    this.lastGen[q] = this.generation;
    return f;
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
    this.impdefKey = this.impdefWords.map((i) => `/i${this.impdef[i]}`).join('');
    return true;
  }
}
