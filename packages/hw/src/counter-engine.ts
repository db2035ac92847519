// The lazy counting engine of the PMU model: each counter is a value at t0 plus a rate function, and overflows are timed by its inverse.
import type { Clock, Timer } from '@cspmu/kernel';
import { type RateFunction, ZERO_RATE } from './rate-function.js';

const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A fold's scratch words, shared by every engine: a fold reads into it and stores it before anything else runs. */
const FOLD_WORDS = new Uint32Array(2);

/** Where the engine keeps each counter's stored value: 32-bit words of a register bank's state. */
export interface CounterStorage {
  readonly words: Uint32Array;
  /** Per physical counter: the state word of its low half, or -1 if it is not implemented. */
  readonly wordOf: Int32Array;
}

/**
 * The lazy counting engine of a CoreSight PMU model. A counter holds its
 * value at a time t0 and a cumulative event function of the workload, so
 * reading costs the same after 10^12 events as after 10^3. Overflows are found
 * by the function's exact inverse and raised by a timer at the virtual time
 * they happen. Values are two 32-bit words (no BigInt on the read path).
 */
export class CounterEngine {
  private readonly wide: boolean;
  // Per-counter state is sized to the counters the storage maps (up to the highest implemented index), not to the architectural 256.
  private readonly t0: Float64Array;
  private readonly e0: Float64Array;
  private readonly nextOverflow: Float64Array;
  private readonly rate: RateFunction[];
  private readonly running: Uint8Array;
  private readonly timers: (Timer | undefined)[];
  /** Per counter: when it was last written (a handler re-preloading it), or -1. */
  private readonly writtenAt: Float64Array;

  constructor(
    private readonly counterBits: number,
    private readonly storage: CounterStorage,
    private readonly clock: Clock,
    /** Called when a counter's overflow time has come (from its timer), with the overflow's time. */
    private readonly overflowDue: (p: number, t: number) => void,
  ) {
    this.wide = counterBits > 32;
    const n = storage.wordOf.length;
    this.t0 = new Float64Array(n);
    this.e0 = new Float64Array(n);
    this.nextOverflow = new Float64Array(n).fill(Infinity);
    this.writtenAt = new Float64Array(n).fill(-1);
    this.rate = new Array<RateFunction>(n).fill(ZERO_RATE);
    this.running = new Uint8Array(n);
    this.timers = new Array<Timer | undefined>(n).fill(undefined);
  }

  /** True if counter p's next overflow is at or before t (a read at t must raise it first). */
  overflowBy(p: number, t: number): boolean {
    return t >= this.nextOverflow[p]!;
  }

  /**
   * The value of counter p at time t, wrapped to the counter width, written
   * to `out` as [low word, high word]. Returns true if the count passed the
   * top of the counter since it was last folded.
   */
  read(p: number, t: number, out: Uint32Array | number[]): boolean {
    const st = this.storage.words;
    const w = this.storage.wordOf[p]!;
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
    const bits = this.counterBits;
    if (bits > 32) {
      const span = bits === 64 ? TWO32 : 2 ** (bits - 32);
      out[0] = lo;
      out[1] = hi >= span ? hi - Math.floor(hi / span) * span : hi;
      return hi >= span;
    }
    const span = bits === 32 ? TWO32 : 2 ** bits;
    out[0] = lo >= span ? lo - Math.floor(lo / span) * span : lo;
    out[1] = 0;
    return hi > 0 || lo >= span;
  }

  /** Fold counter p's progress up to t into its stored value. Returns true if it wrapped (an overflow). */
  fold(p: number, t: number): boolean {
    if (this.running[p] === 1 && t > this.t0[p]!) {
      const words = FOLD_WORDS;
      const wrapped = this.read(p, t, words);
      const st = this.storage.words;
      const w = this.storage.wordOf[p]!;
      st[w] = words[0]!;
      if (this.wide) st[w + 1] = words[1]!;
      this.e0[p] = this.rate[p]!.at(t);
      this.t0[p] = t;
      return wrapped;
    }
    if (t > this.t0[p]!) {
      this.t0[p] = t;
      this.e0[p] = this.rate[p]!.at(t);
    }
    return false;
  }

  /** Counter p was written at t: count on from its new stored value. */
  written(p: number, t: number): void {
    this.writtenAt[p] = t;
    this.t0[p] = t;
    this.e0[p] = this.rate[p]!.at(t);
    this.schedule(p);
  }

  /**
   * Count counter p from time t with `rate`, or stop it when `rate` is
   * undefined (its progress must already be folded).
   */
  restart(p: number, t: number, rate: RateFunction | undefined): void {
    if (rate === undefined && this.running[p] === 0) {
      this.t0[p] = t;
      this.e0[p] = 0;
      if (this.timers[p] !== undefined) this.schedule(p);
      return;
    }
    this.running[p] = rate === undefined ? 0 : 1;
    this.rate[p] = rate ?? ZERO_RATE;
    this.t0[p] = t;
    this.e0[p] = this.rate[p]!.at(t);
    this.schedule(p);
  }

  /** Set counter p's stored value to zero. */
  zero(p: number): void {
    const st = this.storage.words;
    const w = this.storage.wordOf[p]!;
    st[w] = 0;
    if (this.wide) st[w + 1] = 0;
  }

  /** The time counter p's progress was last folded at. */
  foldedAt(p: number): number {
    return this.t0[p]!;
  }

  /** Arm the timer for counter p's next overflow, at the exact virtual time it happens. */
  schedule(p: number): void {
    this.timers[p]?.cancel();
    this.timers[p] = undefined;
    this.nextOverflow[p] = Infinity;
    if (this.running[p] !== 1 || this.rate[p]!.zero) return;
    const st = this.storage.words;
    const w = this.storage.wordOf[p]!;
    const bits = this.counterBits;
    const remaining = bits > 32 ? (2 ** (bits - 32) - 1 - st[w + 1]!) * TWO32 + (TWO32 - st[w]!) : 2 ** bits - st[w]!;
    if (remaining > MAX_SAFE - this.e0[p]!) return;
    const at = this.rate[p]!.when(this.e0[p]! + remaining);
    if (!Number.isFinite(at) || at > MAX_SAFE) return;
    this.nextOverflow[p] = at;
    this.timers[p] = this.clock.at(
      Math.max(at, this.clock.now()),
      () => {
        this.timers[p] = undefined;
        this.overflowDue(p, Math.max(at, this.t0[p]!));
      },
      this,
    );
  }

  /** When counter p was last written, or -1. */
  lastWrittenAt(p: number): number {
    return this.writtenAt[p]!;
  }

  /** Counter p's count function while it runs (undefined when stopped), and its next overflow time. */
  counting(p: number): { readonly rate: RateFunction; readonly nextOverflow: number } | undefined {
    return this.running[p] === 1 ? { rate: this.rate[p]!, nextOverflow: this.nextOverflow[p]! } : undefined;
  }

  /** Forget counter p's pending overflow (it is being raised now). */
  clearOverflowDue(p: number): void {
    this.nextOverflow[p] = Infinity;
  }

  /** Cancel counter p's overflow timer (the machine is shutting down). */
  cancel(p: number): void {
    this.timers[p]?.cancel();
    this.timers[p] = undefined;
    this.nextOverflow[p] = Infinity;
  }
}
