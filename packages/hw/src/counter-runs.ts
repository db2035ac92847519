// The recent runs of each counter (when it counted, following which event function, from which stored value), kept for replaying rotation cycles.
import type { CounterIndex } from './counter-engine.js';
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

// The run in progress, per slot: its start (-1: none), whether it began fresh, and the stored value it began from.
const OPEN_AT = 0;
const OPEN_FRESH = 1;
const OPEN_LO = 2;
const OPEN_HI = 3;
const OPEN_STRIDE = 4;

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
  private readonly slotOf: Uint8Array;
  private readonly wordOf: Int32Array;
  private readonly rings: (Ring | undefined)[];
  private readonly openRate: (RateFunction | undefined)[];
  /** Per slot, OPEN_STRIDE numbers: the run in progress's start (-1: none), fresh flag and stored value at its start. */
  private readonly openRun: Float64Array;

  /** Each counter's slot and stored value are where `index` says, in `words` (two words if `wide`). */
  constructor(
    index: CounterIndex,
    private readonly words: Uint32Array,
    private readonly wide: boolean,
  ) {
    this.slotOf = index.slotOf;
    this.wordOf = index.wordOf;
    this.rings = new Array(index.slots).fill(undefined);
    this.openRate = new Array(index.slots).fill(undefined);
    this.openRun = new Float64Array(index.slots * OPEN_STRIDE);
    for (let s = 0; s < index.slots; s++) this.openRun[s * OPEN_STRIDE + OPEN_AT] = -1;
  }

  /** Counter p counts `rate` from t (undefined: it stops), from its stored value; `fresh` if it was written at t. */
  restart(p: number, t: number, rate: RateFunction | undefined, fresh: boolean): void {
    const w = this.wordOf[p]!;
    const s = this.slotOf[p]!;
    const o = s * OPEN_STRIDE;
    const run = this.openRun;
    const at = run[o + OPEN_AT]!;
    if (at >= 0 && t > at) this.finish(s, at, t);
    run[o + OPEN_AT] = rate === undefined ? -1 : t;
    this.openRate[s] = rate;
    run[o + OPEN_FRESH] = fresh ? 1 : 0;
    run[o + OPEN_LO] = this.words[w]!;
    run[o + OPEN_HI] = this.wide ? this.words[w + 1]! : 0;
  }

  /** Keep slot s's run in progress, begun at `at`, as a finished run ending at t (apart: a restart at the instant its run began has none). */
  private finish(s: number, at: number, t: number): void {
    const o = s * OPEN_STRIDE;
    const run = this.openRun;
    let ring = this.rings[s];
    if (ring === undefined) ring = this.rings[s] = new Ring();
    const i = ring.next;
    ring.start[i] = at;
    ring.end[i] = t;
    ring.lo[i] = run[o + OPEN_LO]!;
    ring.hi[i] = run[o + OPEN_HI]!;
    ring.fresh[i] = run[o + OPEN_FRESH]!;
    ring.rate[i] = this.openRate[s];
    ring.next = (i + 1) % RING;
    if (ring.size < RING) ring.size++;
  }

  /** True while counter p has a run in progress (as open(p), without making its record). */
  isOpen(p: number): boolean {
    return this.openRun[this.slotOf[p]! * OPEN_STRIDE + OPEN_AT]! >= 0;
  }

  /** The run in progress on counter p, if it counts. */
  open(p: number): { readonly start: number; readonly fresh: boolean } | undefined {
    const o = this.slotOf[p]! * OPEN_STRIDE;
    const at = this.openRun[o + OPEN_AT]!;
    return at < 0 ? undefined : { start: at, fresh: this.openRun[o + OPEN_FRESH] === 1 };
  }

  /** The finished run of counter p over exactly [start, end), if it is still kept. */
  find(p: number, start: number, end: number): CounterRun | undefined {
    const ring = this.rings[this.slotOf[p]!];
    if (ring === undefined) return undefined;
    for (let k = 0; k < ring.size; k++) {
      if (ring.start[k] !== start || ring.end[k] !== end) continue;
      return { start, end, rate: ring.rate[k]!, fresh: ring.fresh[k] === 1, lo: ring.lo[k]!, hi: ring.hi[k]! };
    }
    return undefined;
  }

  /** The newest finished run of counter p, if any. */
  last(p: number): CounterRun | undefined {
    const ring = this.rings[this.slotOf[p]!];
    if (ring === undefined || ring.size === 0) return undefined;
    const k = (ring.next + RING - 1) % RING;
    return this.find(p, ring.start[k]!, ring.end[k]!);
  }

  /** Move counter p's runs that start at or after `from` (the run in progress too) `delta` ns later. */
  shift(p: number, from: number, delta: number): void {
    const s = this.slotOf[p]!;
    const ring = this.rings[s];
    if (ring !== undefined) {
      for (let k = 0; k < ring.size; k++) {
        if (ring.start[k]! < from) continue;
        ring.start[k] = ring.start[k]! + delta;
        ring.end[k] = ring.end[k]! + delta;
      }
    }
    const o = s * OPEN_STRIDE + OPEN_AT;
    if (this.openRun[o]! >= from) this.openRun[o] = this.openRun[o]! + delta;
  }
}
