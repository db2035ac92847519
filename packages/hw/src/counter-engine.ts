// The lazy counting engine of the PMU model: each counter is a value at t0 plus a rate function, and overflows are timed by its inverse.
import type { Clock, Timer } from '@cspmu/kernel';
import type { CounterRuns } from './counter-runs.js';
import type { CounterStorage } from './counter-storage.js';
import { type RateFunction, ZERO_RATE } from './rate-function.js';

const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A fold's scratch words, shared by every engine: a fold reads into it and stores it before anything else runs. */
const FOLD_WORDS = new Uint32Array(2);

// One engine's per-counter numbers, STRIDE per slot in one array: a typed array costs more than a few numbers, and each
// one more V8 checks on every access, so the run in progress (what CounterRuns keeps once it ends) is here too.
const T0 = 0;
/** The count function's value at T0, or -1 until something needs it (it is never negative) (see origin). */
const E0 = 1;
const NEXT_OVERFLOW = 2;
/** When the counter was last written (a handler re-preloading it), or -1. */
const WRITTEN_AT = 3;
/** 1 while the counter runs. */
const RUNNING = 4;
/** The run in progress: its start (-1: none; a run is open exactly while the counter runs), 1 if the counter was written then, and the stored value it began from. */
const OPEN_AT = 5;
const OPEN_FRESH = 6;
const OPEN_LO = 7;
const OPEN_HI = 8;
const STRIDE = 9;

/**
 * The lazy counting engine of a CoreSight PMU model. A counter holds its value at a time t0 and a cumulative event function of the workload, so reading
 * costs the same after 10^12 events as after 10^3. Overflows are found by the function's exact inverse and raised by a timer at the virtual time they
 * happen. Values are two 32-bit words (no BigInt on the read path).
 */
export class CounterEngine {
  /** 1 for a counter wider than 32 bits, else 0 (a number: V8 tests a boolean field's value generically). */
  private readonly wide: number;
  /** 2^(bits - 32) for a wide counter (the high word's span), 2^bits otherwise: `**` is a slow call, made once here. */
  private readonly topSpan: number;
  private readonly words: Uint32Array;
  private readonly wordOf: Int32Array;
  private readonly slotOf: Uint8Array;
  /** Per slot: T0, E0, NEXT_OVERFLOW, WRITTEN_AT, RUNNING and the open run. */
  private readonly num: Float64Array;
  private readonly rate: RateFunction[];
  private readonly timers: (Timer | undefined)[];

  constructor(
    counterBits: number,
    storage: CounterStorage,
    private readonly clock: Clock,
    /** Called when a counter's overflow time has come (from its timer), with the overflow's time. */
    private readonly overflowDue: (p: number, t: number) => void,
    /** Where each run is kept once it ends. */
    private readonly runs: CounterRuns,
  ) {
    this.wide = counterBits > 32 ? 1 : 0;
    this.topSpan = this.wide !== 0 ? 2 ** (counterBits - 32) : 2 ** counterBits;
    this.words = storage.words;
    this.wordOf = storage.index.wordOf;
    this.slotOf = storage.index.slotOf;
    const n = storage.index.slots;
    this.num = new Float64Array(n * STRIDE);
    for (let s = 0; s < n; s++) {
      this.num[s * STRIDE + NEXT_OVERFLOW] = Infinity;
      this.num[s * STRIDE + WRITTEN_AT] = -1;
      this.num[s * STRIDE + OPEN_AT] = -1;
    }
    this.rate = new Array<RateFunction>(n).fill(ZERO_RATE);
    this.timers = new Array<Timer | undefined>(n).fill(undefined);
  }

  /** True if counter p's next overflow is at or before t (a read at t must raise it first). */
  overflowBy(p: number, t: number): boolean {
    return t >= this.num[this.slotOf[p]! * STRIDE + NEXT_OVERFLOW]!;
  }

  /** The value of counter p at time t, wrapped to the counter width, written to `out` as [low word, high word]. Returns true if the count passed the top of the counter since it was last folded. */
  read(p: number, t: number, out: Uint32Array | number[]): boolean {
    const s = this.slotOf[p]!;
    return this.valueAfter(p, this.num[s * STRIDE + RUNNING] === 1 ? this.rate[s]!.at(t) - this.origin(s * STRIDE, s) : 0, out);
  }

  /**
   * Slot s's count function at T0 (i = s * STRIDE), evaluated when first needed: a counter started and stopped at one
   * instant (a perf event opened and closed) never needs it, and the function is pure, so a later evaluation gives the same.
   */
  private origin(i: number, s: number): number {
    const e = this.num[i + E0]!;
    return e >= 0 ? e : (this.num[i + E0] = this.rate[s]!.at(this.num[i + T0]!));
  }

  /** Counter p's stored value plus d events, wrapped, into `out`; true if that passed the top of the counter. */
  private valueAfter(p: number, d: number, out: Uint32Array | number[]): boolean {
    const st = this.words;
    const w = this.wordOf[p]!;
    let lo = st[w]!;
    let hi = this.wide !== 0 ? st[w + 1]! : 0;
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
    const span = this.topSpan;
    if (this.wide !== 0) {
      out[0] = lo;
      out[1] = hi >= span ? hi - Math.floor(hi / span) * span : hi;
      return hi >= span;
    }
    out[0] = lo >= span ? lo - Math.floor(lo / span) * span : lo;
    out[1] = 0;
    return hi > 0 || lo >= span;
  }

  /** read() of a counter wider than 32 bits, as a 64-bit read takes it: no narrow case, the rare wrap of the high word apart, the same arithmetic at any count. */
  readWide(p: number, t: number, out: Uint32Array): void {
    const w = this.wordOf[p]!;
    const s = this.slotOf[p]!;
    let lo = this.words[w]!;
    let hi = this.words[w + 1]!;
    if (this.num[s * STRIDE + RUNNING] === 1) {
      const d = this.rate[s]!.at(t) - this.origin(s * STRIDE, s);
      if (d > 0) {
        const dHi = Math.floor(d / TWO32);
        lo += d - dHi * TWO32;
        hi += dHi;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
      }
    }
    out[0] = lo;
    out[1] = hi < this.topSpan ? hi : this.wrapHigh(hi);
  }

  /** A wide counter's high word past its width, wrapped. */
  private wrapHigh(hi: number): number {
    return hi - Math.floor(hi / this.topSpan) * this.topSpan;
  }

  /** Fold counter p's progress up to t into its stored value (one evaluation of its event function); true if it wrapped. A stopped counter has none. */
  fold(p: number, t: number): boolean {
    const s = this.slotOf[p]!;
    const i = s * STRIDE;
    if (this.num[i + RUNNING] !== 1 || !(t > this.num[i + T0]!)) return false;
    return this.foldRunning(p, t, s);
  }

  /** fold of a running counter with progress to fold (apart: the stopped case is inlined into every register write that folds). */
  private foldRunning(p: number, t: number, s: number): boolean {
    const i = s * STRIDE;
    const num = this.num;
    const e = this.rate[s]!.at(t);
    const words = FOLD_WORDS;
    const wrapped = this.valueAfter(p, e - this.origin(i, s), words);
    const st = this.words;
    const w = this.wordOf[p]!;
    st[w] = words[0]!;
    if (this.wide !== 0) st[w + 1] = words[1]!;
    num[i + E0] = e;
    num[i + T0] = t;
    return wrapped;
  }

  /** Counter p was written at t: count on from its new stored value. */
  written(p: number, t: number): void {
    const s = this.slotOf[p]!;
    const i = s * STRIDE;
    const num = this.num;
    num[i + WRITTEN_AT] = t;
    num[i + T0] = t;
    // A stopped counter has no overflow to time (stopping it cancelled its timer) and counts nothing (its rate is ZERO_RATE).
    if (num[i + RUNNING] !== 1) num[i + E0] = 0;
    else {
      num[i + E0] = -1;
      this.schedule(p);
    }
  }

  /** Counter p written through its register at t: written(p, t), and while it counts, its run so far ends and a new one begins, fresh, from the value written. */
  preloaded(p: number, t: number): void {
    this.written(p, t);
    const i = this.slotOf[p]! * STRIDE;
    const at = this.num[i + OPEN_AT]!;
    if (at < 0) return;
    if (t > at) this.keepRun(this.slotOf[p]!, at, t);
    const w = this.wordOf[p]!;
    this.openRun(i, t, this.words[w]!, this.wide !== 0 ? this.words[w + 1]! : 0);
  }

  /** Hand slot s's run in progress, begun at `at`, to CounterRuns as finished at t (apart: a restart at the instant its run began has none). */
  private keepRun(s: number, at: number, t: number): void {
    const num = this.num;
    const i = s * STRIDE;
    this.runs.keep(s, at, t, this.rate[s]!, num[i + OPEN_FRESH] === 1, num[i + OPEN_LO]!, num[i + OPEN_HI]!);
  }

  /** Begin a run (slot entry i) at t from the stored words lo and hi; fresh if the counter was written at t. */
  private openRun(i: number, t: number, lo: number, hi: number): void {
    const num = this.num;
    num[i + OPEN_AT] = t;
    num[i + OPEN_FRESH] = num[i + WRITTEN_AT] === t ? 1 : 0;
    num[i + OPEN_LO] = lo;
    num[i + OPEN_HI] = hi;
  }

  /** Count counter p from time t with `rate` (its progress must already be folded): the run in progress ends and a new one begins. */
  start(p: number, t: number, rate: RateFunction): void {
    const s = this.slotOf[p]!;
    const i = s * STRIDE;
    const num = this.num;
    const at = num[i + OPEN_AT]!;
    if (at >= 0 && t > at) this.keepRun(s, at, t);
    const w = this.wordOf[p]!;
    const lo = this.words[w]!;
    const hi = this.wide !== 0 ? this.words[w + 1]! : 0;
    num[i + T0] = t;
    this.openRun(i, t, lo, hi);
    num[i + RUNNING] = 1;
    this.rate[s] = rate;
    num[i + E0] = -1;
    this.disarm(s);
    if (!rate.zero) this.timeOverflow(p, s, i, rate, lo, hi);
  }

  /** Stop counter p at t (its progress must already be folded): its count stays where the fold left it, with no event function to evaluate and no overflow to time. */
  stop(p: number, t: number): void {
    const s = this.slotOf[p]!;
    const i = s * STRIDE;
    const num = this.num;
    const at = num[i + OPEN_AT]!;
    if (at >= 0 && t > at) this.keepRun(s, at, t);
    num[i + T0] = t;
    num[i + OPEN_AT] = -1;
    num[i + RUNNING] = 0;
    this.rate[s] = ZERO_RATE;
    num[i + E0] = 0;
    this.disarm(s);
  }

  /** Set counter p's stored value to zero. */
  zero(p: number): void {
    const st = this.words;
    const w = this.wordOf[p]!;
    st[w] = 0;
    if (this.wide !== 0) st[w + 1] = 0;
  }

  /** Arm the timer for counter p's next overflow, at the exact virtual time it happens (s and i: its slot and slot entry, where the caller has them). */
  schedule(p: number, s = this.slotOf[p]!, i = s * STRIDE): void {
    const num = this.num;
    this.disarm(s);
    const rate = this.rate[s]!;
    if (num[i + RUNNING] !== 1 || rate.zero) return;
    const w = this.wordOf[p]!;
    this.timeOverflow(p, s, i, rate, this.words[w]!, this.wide !== 0 ? this.words[w + 1]! : 0);
  }

  /** Arm counter p's (slot s, entry i) overflow timer, if its overflow is in reach, from its stored words lo and hi. */
  private timeOverflow(p: number, s: number, i: number, rate: RateFunction, lo: number, hi: number): void {
    const remaining = this.wide !== 0 ? (this.topSpan - 1 - hi) * TWO32 + (TWO32 - lo) : this.topSpan - lo;
    // Past 2^53 events away (a 64-bit counter preloaded to half its range): no overflow to time, no timer to arm, and no
    // need for the count at the origin (never negative, so the first test implies nothing the second would not).
    if (remaining <= MAX_SAFE) {
      const e0 = this.origin(i, s);
      if (remaining <= MAX_SAFE - e0) this.arm(p, s, rate, e0 + remaining);
    }
  }

  /** Cancel slot s's overflow timer and forget its overflow time, which is finite only while it has a timer (its firing forgets it too): one load for most restarts. */
  private disarm(s: number): void {
    if (this.timers[s] !== undefined) this.dropTimer(s);
  }
  private dropTimer(s: number): void {
    this.timers[s]!.cancel();
    this.timers[s] = undefined;
    this.num[s * STRIDE + NEXT_OVERFLOW] = Infinity;
  }

  /** schedule's timer: counter p (slot s) overflows when `rate` reaches `events` (apart: most preloads put the overflow past 2^53). */
  private arm(p: number, s: number, rate: RateFunction, events: number): void {
    const at = rate.when(events);
    if (!Number.isFinite(at) || at > MAX_SAFE) return;
    const i = s * STRIDE;
    const num = this.num;
    num[i + NEXT_OVERFLOW] = at;
    this.timers[s] = this.clock.at(
      Math.max(at, this.clock.now()),
      () => {
        this.timers[s] = undefined;
        num[i + NEXT_OVERFLOW] = Infinity;
        this.overflowDue(p, Math.max(at, num[i + T0]!));
      },
      this,
    );
  }

  /** When counter p was last written, or -1. */
  lastWrittenAt(p: number): number {
    return this.num[this.slotOf[p]! * STRIDE + WRITTEN_AT]!;
  }

  /** Counter p's count function while it runs (undefined when stopped), and its next overflow time. */
  counting(p: number): { readonly rate: RateFunction; readonly nextOverflow: number } | undefined {
    const s = this.slotOf[p]!;
    return this.num[s * STRIDE + RUNNING] === 1 ? { rate: this.rate[s]!, nextOverflow: this.num[s * STRIDE + NEXT_OVERFLOW]! } : undefined;
  }

  /** Forget counter p's pending overflow (it is being raised now). */
  clearOverflowDue(p: number): void {
    this.num[this.slotOf[p]! * STRIDE + NEXT_OVERFLOW] = Infinity;
  }

  /** Cancel counter p's overflow timer (the machine is shutting down). */
  cancel(p: number): void {
    this.disarm(this.slotOf[p]!);
  }

  /** The run in progress on counter p, if it counts. */
  openRunOf(p: number): { readonly start: number; readonly fresh: boolean } | undefined {
    const i = this.slotOf[p]! * STRIDE;
    const at = this.num[i + OPEN_AT]!;
    return at < 0 ? undefined : { start: at, fresh: this.num[i + OPEN_FRESH] === 1 };
  }

  /** Move counter p's runs that start at or after `from` (the one in progress too; -1 is none, and `from` is negative when a replay's period reaches before 0) `delta` ns later. */
  shiftRuns(p: number, from: number, delta: number): void {
    this.runs.shift(p, from, delta);
    const o = this.slotOf[p]! * STRIDE + OPEN_AT;
    if (this.num[o]! >= 0 && this.num[o]! >= from) this.num[o] = this.num[o]! + delta;
  }
}
