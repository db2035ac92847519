// The recent finished runs of each counter (when it counted, following which event function, from which stored value), kept for replaying rotation cycles.
import type { CounterIndex } from './counter-storage.js';
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
 * Each counter's finished runs, newest last. A run starts when the counter
 * starts counting (enable, PMCR.E, a new event type) and ends when it stops
 * or its event function changes; the counter engine keeps the run in
 * progress with the rest of the counter's state, and hands it here when it
 * ends. Storage for a counter is made the first time a run of it ends;
 * recording allocates nothing after that.
 */
export class CounterRuns {
  private readonly slotOf: Uint8Array;
  private readonly rings: (Ring | undefined)[];

  constructor(index: CounterIndex) {
    this.slotOf = index.slotOf;
    this.rings = new Array(index.slots).fill(undefined);
  }

  /** Keep slot s's run over [start, end) of `rate` from the stored value (lo, hi), `fresh` if the counter was written at its start. */
  keep(s: number, start: number, end: number, rate: RateFunction, fresh: boolean, lo: number, hi: number): void {
    let ring = this.rings[s];
    if (ring === undefined) ring = this.rings[s] = new Ring();
    const i = ring.next;
    ring.start[i] = start;
    ring.end[i] = end;
    ring.lo[i] = lo;
    ring.hi[i] = hi;
    ring.fresh[i] = fresh ? 1 : 0;
    ring.rate[i] = rate;
    ring.next = (i + 1) % RING;
    if (ring.size < RING) ring.size++;
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

  /** Move counter p's finished runs that start at or after `from` `delta` ns later (the engine moves the one in progress). */
  shift(p: number, from: number, delta: number): void {
    const ring = this.rings[this.slotOf[p]!];
    if (ring === undefined) return;
    for (let k = 0; k < ring.size; k++) {
      if (ring.start[k]! < from) continue;
      ring.start[k] = ring.start[k]! + delta;
      ring.end[k] = ring.end[k]! + delta;
    }
  }
}
