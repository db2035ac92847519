// Which event function a counter follows: resolved from its event type and filters, cached per selection and per counter.
import { CYCLE_COUNTER_PHYS, REG, type RegisterLayout } from './cspmu-regs.js';
import { ConstantRate, type RateFunction } from './rate-function.js';
import type { Workload } from './workload.js';

export class RateResolver {
  private readonly cycleRate: RateFunction;
  private readonly rateCache = new Map<string, RateFunction>();
  /** Per counter: the selection (event, filter, filter2; low and high words) its rate was last resolved for. */
  private readonly lastSel: Float64Array;
  private readonly lastRate: (RateFunction | undefined)[];

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
    this.lastSel = new Float64Array(slots * 6).fill(-1);
    this.lastRate = new Array<RateFunction | undefined>(slots).fill(undefined);
  }

  /** The event function counter p follows for the event type and filters in `page0` (its register state). */
  resolve(p: number, page0: Uint32Array): RateFunction {
    if (p === CYCLE_COUNTER_PHYS && this.hasCycleCounter) return this.cycleRate;
    const s = page0;
    const { selStride, filtered, ext64 } = this.layout;
    const sel = this.lastSel;
    let same = this.lastRate[p] !== undefined;
    // Event type, filter, filter2: low word, then the high word (0 unless the registers are 64-bit).
    for (let i = 0; i < 6; i++) {
      const base = i < 2 ? REG.PMEVTYPER : i < 4 ? REG.PMEVFILTR : REG.PMEVFILT2R;
      const half = i & 1;
      const v = (i < 2 || p < filtered) && (half === 0 || ext64) ? s[((base + selStride * p) >> 2) + half]! : 0;
      if (sel[6 * p + i] !== v) same = false;
      sel[6 * p + i] = v;
    }
    if (same) return this.lastRate[p]!;
    const key = sel.subarray(6 * p, 6 * p + 6).join('/');
    let f = this.rateCache.get(key);
    if (!f) {
      // The workload names events by number: a 64-bit event type is exact below 2^53, which covers every stream.
      const event = sel[6 * p]! + sel[6 * p + 1]! * 4294967296;
      f = this.workload.resolve({ label: this.label, event, filter: sel[6 * p + 2]!, filter2: sel[6 * p + 4]! });
      this.rateCache.set(key, f);
    }
    this.lastRate[p] = f;
    return f;
  }

  /** Forget every resolution (PMIMPDEF changed what the workload may select). */
  clear(): void {
    this.rateCache.clear();
    this.lastRate.fill(undefined);
  }
}
