// Overflow storms in closed form: when a counter's overflow cycle will repeat exactly, the next k interrupts are replayed at once.
import type { Clock, IrqController } from '@cspmu/kernel';
import { CounterEngine, type CounterIndex } from './counter-engine.js';
import { phaseAt } from './rate-function.js';

/** Fewer identical overflows than this ahead are simply delivered one by one. */
const MIN_BATCH = 2;

// Per counter slot: the last delivery's rewrite time (-1: not rewritten) and the value it left.
const LAST_AT = 0;
const LAST_LO = 1;
const LAST_HI = 2;
const STRIDE = 3;

/**
 * Watches each counter's overflows. After an interrupt whose handler
 * rewrote the counter with the same value as after the previous one (and
 * nothing wrote it in between), with the counter alone in the overflow
 * status and counting linearly, the cycle
 * is periodic as soon as the count's phase within its nanosecond repeats:
 * every later cycle takes the same time, counts the same events and sees
 * the same handler. The overflows due before the next timer that could touch
 * this device (its own, or one of no device's, such as perf's), the end
 * of the linear piece and the clock's horizon are then handed to the
 * interrupt's replay (the handler's closed form) and the counter resumes
 * after the last of them: the same state, counts and interrupt statistics as
 * delivering them one by one, without the work.
 */
export class OverflowBatcher {
  private readonly wordOf: Int32Array;
  private readonly slotOf: Uint8Array;
  /** Per counter slot: LAST_AT, LAST_LO, LAST_HI. */
  private readonly last: Float64Array;

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
    private readonly wide: boolean,
  ) {
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
    const prevAt = last[i + LAST_AT]!;
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
    // At most one event a nanosecond, every cycle counts exactly the same events (the overflow's time is
    // the inverse of their count); faster, the overshoot past the top depends on the phase a cycle starts
    // at: the cycle just delivered (its delta is what the replay repeats) and the next must start at t's.
    const oneAtATime = piece.n <= piece.d;
    if (!oneAtATime) {
      const same = prevAt >= piece.origin && phaseAt(piece, prevAt) === phaseAt(piece, t) && phaseAt(piece, c.nextOverflow) === phaseAt(piece, t);
      if (!same) return 0;
    }
    this.engine.cancel(p);
    // Timers of other devices cannot touch this counter; this device's and anyone else's (perf's rotations) may.
    const other = this.clock.nextDeadline(this.engine, (o) => !(o instanceof CounterEngine)) ?? Infinity;
    const limit = Math.min(this.clock.horizon(), other - 1, piece.until - 1);
    const e0 = c.rate.at(t);
    const perCycle = c.rate.at(c.nextOverflow) - e0;
    const period = c.nextOverflow - t;
    const k = oneAtATime ? Math.floor((c.rate.at(limit) - e0) / perCycle) : Math.floor((limit - t) / period);
    if (k >= MIN_BATCH && irqs.replayDeliveries(this.irq, k)) {
      this.clock.work.add(1);
      // The k-th overflow's own time: when its cycle's last event comes.
      this.engine.written(p, oneAtATime ? c.rate.when(e0 + k * perCycle) : t + k * period);
      return k;
    }
    this.engine.schedule(p);
    return 0;
  }
}
