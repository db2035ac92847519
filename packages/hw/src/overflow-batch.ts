// Overflow storms in closed form: when a counter's overflow cycles are known ahead, the next k interrupts are replayed at once.
import type { Clock, IrqController } from '@cspmu/kernel';
import { CounterEngine } from './counter-engine.js';
import type { CounterIndex } from './counter-storage.js';
import { type LinearPiece, phaseAt, type RateFunction } from './rate-function.js';
import { stormCycles } from './storm-cycles.js';

/** Fewer identical overflows than this ahead are simply delivered one by one. */
const MIN_BATCH = 2;
/** Phase steps of a storm's orbit charged to the clock's work counter as one step. */
const STEPS_PER_WORK = 1024;
/** After following an orbit for no replay, deliveries one by one pay for it first: this many of its steps each. */
const ORBIT_STEPS_PER_DELIVERY = 64;

// Per counter slot: the last delivery's rewrite time (-1: not rewritten) and the value it left, and the
// deliveries left before its storm's orbit is followed again.
const LAST_AT = 0;
const LAST_LO = 1;
const LAST_HI = 2;
const STORM_PAUSE = 3;
const STRIDE = 4;

/**
 * Watches each counter's overflows. After an interrupt whose handler
 * rewrote the counter with the same value as after the previous one (and
 * nothing wrote it in between), with the counter alone in the overflow
 * status and counting linearly, every later cycle starts from that value
 * and sees the same handler: at most one event a nanosecond each counts the
 * same events, and faster each one's length and overshoot follow from the
 * phase it starts at within its nanosecond. The overflows due before the next timer that could touch
 * this device (its own, or one of no device's, such as perf's), the end
 * of the linear piece and the clock's horizon are then handed to the
 * interrupt's replay (the handler's closed form) and the counter resumes
 * after the last of them: the same state, counts and interrupt statistics as
 * delivering them one by one, without the work.
 */
export class OverflowBatcher {
  private readonly wordOf: Int32Array;
  private readonly slotOf: Uint8Array;
  /** Per counter slot: LAST_AT, LAST_LO, LAST_HI, STORM_PAUSE. */
  private readonly last: Float64Array;
  private readonly wide: boolean;

  constructor(
    private readonly engine: CounterEngine,
    private readonly clock: Clock,
    private readonly irqs: IrqController | undefined,
    private readonly irq: number | undefined,
    /** The counters' state words, and where each counter's low word and slot are. */
    private readonly words: Uint32Array,
    index: CounterIndex,
    /** First state word of the overflow status, and how many words it has. */
    private readonly ovsWord: number,
    private readonly ovsWords: number,
    private readonly counterBits: number,
  ) {
    this.wide = counterBits > 32;
    this.wordOf = index.wordOf;
    this.slotOf = index.slotOf;
    this.last = new Float64Array(index.slots * STRIDE);
    for (let s = 0; s < index.slots; s++) this.last[s * STRIDE + LAST_AT] = -1;
  }

  /** Whether the cycle now ending began at the previous overflow's rewrite (no other write since). */
  private undisturbed = false;

  /**
   * Counter p overflows and its interrupt is about to be raised: true if its
   * bit is the only overflow bit set (so the delivery concerns it alone).
   */
  beforeDelivery(p: number): boolean {
    const lastAt = this.last[this.slotOf[p]! * STRIDE + LAST_AT]!;
    this.undisturbed = lastAt >= 0 && this.engine.lastWrittenAt(p) === lastAt;
    for (let r = 0; r < this.ovsWords; r++) {
      const expect = r === p >> 5 ? (1 << (p & 31)) >>> 0 : 0;
      if (this.words[this.ovsWord + r] !== expect) return false;
    }
    return true;
  }

  /** Counter p overflowed at t and its interrupt was delivered: returns how many more overflows were replayed. */
  afterDelivery(p: number, t: number): number {
    const irqs = this.irqs;
    const i = this.slotOf[p]! * STRIDE;
    const last = this.last;
    const w = this.wordOf[p]!;
    const lo = this.words[w]!;
    const hi = this.wide ? this.words[w + 1]! : 0;
    const rewritten = this.engine.lastWrittenAt(p) === t;
    const steady = rewritten && this.undisturbed && last[i + LAST_LO] === lo && last[i + LAST_HI] === hi;
    last[i + LAST_AT] = rewritten ? t : -1;
    last[i + LAST_LO] = lo;
    last[i + LAST_HI] = hi;
    if (!steady || irqs === undefined || this.irq === undefined) return 0;
    const c = this.engine.counting(p);
    const piece = c?.rate.linearPiece?.(t);
    if (!c || !piece || !(c.nextOverflow < piece.until)) return 0;
    this.engine.cancel(p);
    // Timers of other devices cannot touch this counter; this device's and anyone else's (perf's rotations) may.
    const other = this.clock.nextDeadline(this.engine, (o) => !(o instanceof CounterEngine)) ?? Infinity;
    const limit = Math.min(this.clock.horizon(), other - 1, piece.until - 1);
    const k = piece.n <= piece.d ? this.replayOneAtATime(p, c.rate, c.nextOverflow, t, limit) : this.replayStorm(p, i, lo, hi, piece, t, limit);
    if (k === 0) this.engine.schedule(p);
    return k;
  }

  /**
   * At most one event a nanosecond, every cycle counts exactly the same events (the overflow's time is the
   * inverse of their count), so each interrupt is the one just delivered: the k due by the limit.
   */
  private replayOneAtATime(p: number, rate: RateFunction, nextOverflow: number, t: number, limit: number): number {
    const e0 = rate.at(t);
    const perCycle = rate.at(nextOverflow) - e0;
    const k = Math.floor((rate.at(limit) - e0) / perCycle);
    if (k < MIN_BATCH || !this.irqs!.replayDeliveries(this.irq!, k)) return 0;
    this.clock.work.add(1);
    // The k-th overflow's own time: when its cycle's last event comes.
    this.engine.written(p, rate.when(e0 + k * perCycle));
    return k;
  }

  /**
   * Faster, the events that share the overflow's nanosecond are counted past the top, so cycles differ in
   * length and in what the handler reads (the counter's value past the top): their phase orbit gives the
   * k cycles due by the limit and how many read each value (see stormCycles). `i`: the counter's slot entry.
   */
  private replayStorm(p: number, i: number, lo: number, hi: number, piece: LinearPiece, t: number, limit: number): number {
    const last = this.last;
    if (last[i + STORM_PAUSE]! > 0) {
      last[i + STORM_PAUSE]!--;
      return 0;
    }
    const top = 1n << BigInt(this.counterBits);
    const storm = stormCycles(piece.n, piece.d, phaseAt(piece, t), top - ((BigInt(hi) << 32n) | BigInt(lo)), limit - t);
    if (storm === undefined) return 0;
    this.clock.work.add(Math.floor(storm.steps / STEPS_PER_WORK));
    const span = 2 ** this.counterBits;
    const byValue = new Map<number, number>();
    for (const [o, count] of storm.overshoots) byValue.set(o % span, (byValue.get(o % span) ?? 0) + count);
    const reads = { source: p, values: [...byValue.keys()], counts: [...byValue.values()] };
    if (storm.k < MIN_BATCH || !this.irqs!.replayDeliveries(this.irq!, storm.k, reads)) {
      // Following the orbit again at the next overflow would cost as much, perhaps for nothing again (a tracer that
      // must see each interrupt, a timer due soon).
      last[i + STORM_PAUSE] = Math.floor(storm.steps / ORBIT_STEPS_PER_DELIVERY);
      return 0;
    }
    this.clock.work.add(1);
    this.engine.written(p, t + storm.ns);
    return storm.k;
  }
}
