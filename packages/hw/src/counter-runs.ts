// The recent runs of each counter (when it counted, following which event function, from which stored value), kept for replaying rotation cycles.
import type { RateFunction } from './rate-function.js';

/** Runs kept per counter: a rotation cycle that uses one counter more often than this is stepped, not replayed. */
const RING = 32;

/** One finished run of a counter: it counted `rate` over [start, end) from the stored value (lo, hi). */
export interface CounterRun {
  readonly start: number;
  readonly end: number;
  readonly rate: RateFunction;
  /** The counter was written at `start` (a driver's preload), not carried over from an earlier run. */
  readonly fresh: boolean;
  readonly lo: number;
  readonly hi: number;
}

class Ring {
  readonly start = new Float64Array(RING);
  readonly end = new Float64Array(RING);
  readonly lo = new Float64Array(RING);
  readonly hi = new Float64Array(RING);
  readonly fresh = new Uint8Array(RING);
  readonly rate: (RateFunction | undefined)[] = new Array(RING).fill(undefined);
  next = 0;
  size = 0;
}

/**
 * Each counter's finished runs, newest last, and the run in progress. A
 * run starts when the counter starts counting (enable, PMCR.E, a new event
 * type) and ends when it stops or its event function changes. Storage for
 * a counter is made the first time it runs; recording allocates nothing.
 */
export class CounterRuns {
  private readonly rings: (Ring | undefined)[];
  private readonly openAt: Float64Array;
  private readonly openRate: (RateFunction | undefined)[];
  private readonly openFresh: Uint8Array;
  private readonly openLo: Float64Array;
  private readonly openHi: Float64Array;

  /** `slots`: one more than the highest counter number; each counter's stored value is in `words` from `wordOf[p]` (two words if `wide`). */
  constructor(
    slots: number,
    private readonly words: Uint32Array,
    private readonly wordOf: Int32Array,
    private readonly wide: boolean,
  ) {
    this.rings = new Array(slots).fill(undefined);
    this.openAt = new Float64Array(slots).fill(-1);
    this.openRate = new Array(slots).fill(undefined);
    this.openFresh = new Uint8Array(slots);
    this.openLo = new Float64Array(slots);
    this.openHi = new Float64Array(slots);
  }

  /** Counter p counts `rate` from t (undefined: it stops), from its stored value; `fresh` if it was written at t. */
  restart(p: number, t: number, rate: RateFunction | undefined, fresh: boolean): void {
    const w = this.wordOf[p]!;
    const lo = this.words[w]!;
    const hi = this.wide ? this.words[w + 1]! : 0;
    const at = this.openAt[p]!;
    if (at >= 0 && t > at) {
      let ring = this.rings[p];
      if (ring === undefined) ring = this.rings[p] = new Ring();
      const i = ring.next;
      ring.start[i] = at;
      ring.end[i] = t;
      ring.lo[i] = this.openLo[p]!;
      ring.hi[i] = this.openHi[p]!;
      ring.fresh[i] = this.openFresh[p]!;
      ring.rate[i] = this.openRate[p];
      ring.next = (i + 1) % RING;
      if (ring.size < RING) ring.size++;
    }
    this.openAt[p] = rate === undefined ? -1 : t;
    this.openRate[p] = rate;
    this.openFresh[p] = fresh ? 1 : 0;
    this.openLo[p] = lo;
    this.openHi[p] = hi;
  }

  /** The run in progress on counter p, if it counts. */
  open(p: number): { readonly start: number; readonly fresh: boolean } | undefined {
    const at = this.openAt[p]!;
    return at < 0 ? undefined : { start: at, fresh: this.openFresh[p] === 1 };
  }

  /** The finished run of counter p over exactly [start, end), if it is still kept. */
  find(p: number, start: number, end: number): CounterRun | undefined {
    const ring = this.rings[p];
    if (ring === undefined) return undefined;
    for (let k = 0; k < ring.size; k++) {
      if (ring.start[k] !== start || ring.end[k] !== end) continue;
      return { start, end, rate: ring.rate[k]!, fresh: ring.fresh[k] === 1, lo: ring.lo[k]!, hi: ring.hi[k]! };
    }
    return undefined;
  }

  /** The newest finished run of counter p, if any. */
  last(p: number): CounterRun | undefined {
    const ring = this.rings[p];
    if (ring === undefined || ring.size === 0) return undefined;
    const k = (ring.next + RING - 1) % RING;
    return this.find(p, ring.start[k]!, ring.end[k]!);
  }

  /** Move counter p's runs that start at or after `from` (the run in progress too) `delta` ns later. */
  shift(p: number, from: number, delta: number): void {
    const ring = this.rings[p];
    if (ring !== undefined) {
      for (let k = 0; k < ring.size; k++) {
        if (ring.start[k]! < from) continue;
        ring.start[k] = ring.start[k]! + delta;
        ring.end[k] = ring.end[k]! + delta;
      }
    }
    if (this.openAt[p]! >= from) this.openAt[p] = this.openAt[p]! + delta;
  }
}
