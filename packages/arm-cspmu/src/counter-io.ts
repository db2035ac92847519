// Counter I/O on page 1: reads by width and atomicity (readl, readq, hi-lo-hi), folding deltas into the event, preloading half the range.
import { type CallStack, type Kernel, kernelFunction, kfunc } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import { PERF_HES_STOPPED, type PerfEvent } from '@cspmu/perf';

const TWO32 = 4294967296;
const EVENT_UPDATE = kernelFunction('arm_cspmu_event_update').id;
const READ_COUNTER = kernelFunction('arm_cspmu_read_counter').id;
const WRITE_COUNTER = kernelFunction('arm_cspmu_write_counter').id;

/**
 * Reading and writing the event counters on page 1: 32-bit counters with
 * readl, wider ones with readq when the APMT says 64-bit access is atomic and
 * with the hi-lo-hi sequence otherwise; folding the delta since the last
 * read into the event's count; preloading half the range. Allocation-free,
 * unless a caller that may sleep meets a stalled bus or a hi-lo-hi retry:
 * then the read goes on as a sleeping task (see updateSleeping).
 */
export class CounterIo {
  private readonly pair = new Uint32Array(2);
  readonly calls: CallStack;
  private readonly wide: boolean;
  /** Wide, and read with one readq (the APMT says 64-bit access is single-copy atomic). */
  private readonly atomic64: boolean;
  private readonly periodLo: number;
  private readonly periodHi: number;
  /** 2^counterBits for counters up to 32 bits; 2^(counterBits-32) for the high word of wider ones. */
  private readonly span: number;
  private readonly hiSpan: number;

  constructor(
    private readonly base1: IoMem,
    readonly counterBits: number,
    private readonly hasAtomicDword: boolean,
    private readonly kernel: Kernel,
    /** The injected `no-hilohi` bug: read the high word, then the low word, and never check the high word again. */
    private readonly naiveHiLo = false,
  ) {
    this.calls = kernel.calls;
    this.wide = counterBits > 32;
    this.atomic64 = this.wide && hasAtomicDword;
    this.span = 2 ** Math.min(counterBits, 32);
    this.hiSpan = 2 ** Math.max(counterBits - 32, 0);
    if (this.wide) {
      this.periodLo = 0xffffffff;
      this.periodHi = 2 ** (counterBits - 33) - 1;
    } else {
      this.periodLo = 2 ** (counterBits - 1) - 1;
      this.periodHi = 0;
    }
  }

  /**
   * Fold the hardware delta since the last read into event.count. From a
   * caller that may sleep (Kernel.preemptible), a read that would wait (a
   * stalled bus, a hi-lo-hi retry) returns a promise and finishes later.
   * Its frames (arm_cspmu_event_update, and arm_cspmu_read_counter for the
   * counter read) are pushed here, not by @kfunc, and popped on return with
   * no try of their own: every caller (pmu->stop, the overflow handler) runs
   * in a frame it restores on return and in a catch that rethrows, which
   * also drops these on a throw, before anything can look at the stack.
   */
  update(event: PerfEvent): void | Promise<void> {
    const calls = this.calls;
    const depth = calls.push(EVENT_UPDATE);
    if (this.kernel.preemptible > 0) {
      const later = this.updateMaySleep(event);
      calls.pop(depth);
      return later;
    }
    const prevLo = event.hw.prevLo;
    const prevHi = event.hw.prevHi;
    calls.push(READ_COUNTER);
    this.readWords(event.hw.idx);
    calls.pop(depth);
    this.fold(event, this.pair[0]! - prevLo, this.pair[1]! - prevHi, this.pair);
  }

  /**
   * update() as pmu->read makes it, from a caller that restores the call
   * stack on its way out (ArmCspmu.read's frame, whose finally pops): the
   * same frames, arm_cspmu_event_update and arm_cspmu_read_counter, pushed
   * by hand around the counter read and left for that caller to pop, so a
   * read's three driver frames cost one try/finally and inline as one body.
   * Nothing after the counter read (the fold) looks at the stack.
   */
  updateForRead(event: PerfEvent): void | Promise<void> {
    if (this.kernel.preemptible > 0) return this.update(event);
    const calls = this.calls;
    calls.push(EVENT_UPDATE);
    const prevLo = event.hw.prevLo;
    const prevHi = event.hw.prevHi;
    calls.push(READ_COUNTER);
    this.readWords(event.hw.idx);
    this.fold(event, this.pair[0]! - prevLo, this.pair[1]! - prevHi, this.pair);
  }

  /** update() from a caller that may sleep: a stalled bus or a hi-lo-hi retry goes on as a sleeping task. Kept apart so the atomic path stays small enough to inline. */
  private updateMaySleep(event: PerfEvent): void | Promise<void> {
    const prevLo = event.hw.prevLo;
    const prevHi = event.hw.prevHi;
    const phys = event.hw.idx;
    const offset = this.wide ? 8 * phys : 4 * phys;
    if (this.base1.stalledUntil(offset) !== 0 && (!this.wide || !this.hasAtomicDword)) return this.updateSleeping(event, 0);
    if (this.wide && !this.hasAtomicDword && !this.naiveHiLo && !this.base1.readqHiLoHi(offset, this.pair, 1)) return this.updateSleeping(event, 1);
    if (!this.wide || this.hasAtomicDword || this.naiveHiLo) this.readCounter(phys);
    this.fold(event, this.pair[0]! - prevLo, this.pair[1]! - prevHi, this.pair);
  }

  /**
   * The rest of a read that must wait, as a sleeping task. While it waits the
   * event may be stopped, moved to another counter or folded by the overflow
   * handler; as the kernel's cmpxchg loop on prev_count does, the delta is
   * folded only if nobody folded since this read began, and otherwise the
   * counter is read again (a stopped counter's count is already folded).
   */
  private updateSleeping(event: PerfEvent, attemptsDone: number): Promise<void> {
    const out = new Uint32Array(2);
    return this.calls.runAsync('arm_cspmu_read_counter', async () => {
      let attempts = attemptsDone;
      for (;;) {
        const prevLo = event.hw.prevLo;
        const prevHi = event.hw.prevHi;
        const phys = event.hw.idx;
        if (!this.wide) out[0] = await this.base1.readlWhenReady(4 * phys);
        else if (!(await this.base1.readqHiLoHiWhenReady(8 * phys, out, () => this.kernel.preempt('arm_cspmu_read_counter'), attempts)))
          this.kernel.log.warn('arm_cspmu', 'ARM CSPMU: timeout hi-low-high sequence');
        attempts = 0;
        if (event.hw.idx === phys && event.hw.prevLo === prevLo && event.hw.prevHi === prevHi) {
          this.fold(event, out[0]! - prevLo, out[1]! - prevHi, out);
          return;
        }
        if (event.hw.idx < 0 || event.hw.state & PERF_HES_STOPPED) return;
      }
    });
  }

  /**
   * Add (now - prev) mod 2^width to the count and record now as prev, with
   * `now` in `pair` and the words' differences from prev in dLo and dHi:
   * between reads those are small integers, passed without boxing a double
   * wherever V8 leaves this a call (prev's words themselves often are not).
   */
  private fold(event: PerfEvent, dLo: number, dHi: number, pair: Uint32Array): void {
    event.hw.prevLo = pair[0]!;
    event.hw.prevHi = pair[1]!;
    event.count += this.delta(dLo, dHi);
  }

  /**
   * (now - prev) & mask, with the mask of this counter's width (not of its
   * register's), given the words' differences. Between reads the difference
   * is almost always in range, and that test alone is small enough for V8
   * to inline into the read path; a wrap is worked out apart.
   */
  private delta(dLo: number, dHi: number): number {
    if (dHi === 0 && dLo >= 0 && dLo < this.span) return dLo;
    return this.wrappedDelta(dLo, dHi);
  }

  private wrappedDelta(dLo: number, dHi: number): number {
    if (this.wide) {
      let lo = dLo;
      let hi = dHi;
      if (lo < 0) {
        lo += TWO32;
        hi -= 1;
      }
      // Divide only when the difference is out of range (a wrap): a division costs more than the rest of a read's fold.
      if (hi < 0 || hi >= this.hiSpan) hi -= Math.floor(hi / this.hiSpan) * this.hiSpan;
      return hi * TWO32 + lo;
    }
    return dLo < 0 || dLo >= this.span ? dLo - Math.floor(dLo / this.span) * this.span : dLo;
  }

  /** What folding a read of `value` into an event preloaded with the period adds (for interrupts replayed in closed form). */
  deltaFromPeriod(value: number): number {
    const hi = Math.floor(value / TWO32);
    return this.delta(value - hi * TWO32 - this.periodLo, hi - this.periodHi);
  }

  /** True if the event's counter has not been read since it was preloaded (a fold now covers a whole period). */
  atPeriod(event: PerfEvent): boolean {
    return event.hw.prevLo === this.periodLo && event.hw.prevHi === this.periodHi;
  }

  /** Preload mask >> 1 so the counter overflows after about half its range. Its frame is popped on return; on a throw, the caller's catch (pmu->start's, the overflow handler's) drops it, as update's. */
  setPeriod(event: PerfEvent): void {
    event.hw.prevLo = this.periodLo;
    event.hw.prevHi = this.periodHi;
    const calls = this.calls;
    const depth = calls.push(WRITE_COUNTER);
    this.writeWords(event.hw.idx, this.periodLo, this.periodHi);
    calls.pop(depth);
  }

  /** Read a counter into `pair` (lo, hi): readl, readq, or the hi-lo-hi sequence. */
  @kfunc('arm_cspmu_read_counter')
  private readCounter(phys: number): void {
    this.readWords(phys);
  }

  /** readCounter's work, inside a frame its caller pushed: one readq where the counter has it, the other reads apart (this inlines into the read path). */
  private readWords(phys: number): void {
    if (this.atomic64) this.base1.readqInto(8 * phys, this.pair);
    else this.readWordsApart(phys);
  }

  /** A 32-bit counter with readl; a wide one without single-copy-atomic 64-bit access, as two 32-bit reads. */
  private readWordsApart(phys: number): void {
    if (!this.wide) {
      this.pair[0] = this.base1.readl(4 * phys);
      this.pair[1] = 0;
    } else if (this.naiveHiLo) {
      this.pair[1] = this.base1.readl(8 * phys + 4);
      this.pair[0] = this.base1.readl(8 * phys);
    } else if (!this.base1.readqHiLoHi(8 * phys, this.pair)) {
      this.kernel.log.warn('arm_cspmu', 'ARM CSPMU: timeout hi-low-high sequence');
    }
  }

  /**
   * arm_cspmu_write_counter's work, inside the frame setPeriod pushed: one
   * writeq where the counter has it, the other writes apart (as readWords:
   * start inlines this, and the bytes of cases a PMU never takes would use
   * up the inlining budget its register writes need).
   */
  private writeWords(phys: number, lo: number, hi: number): void {
    if (this.atomic64) this.base1.writeqParts(lo, hi, 8 * phys);
    else this.writeWordsApart(phys, lo, hi);
  }

  /** A 32-bit counter with writel; a wide one without single-copy-atomic 64-bit access, as two 32-bit writes (low word first). */
  private writeWordsApart(phys: number, lo: number, hi: number): void {
    if (!this.wide) this.base1.writel(lo, 4 * phys);
    else {
      this.base1.writel(lo, 8 * phys);
      this.base1.writel(hi, 8 * phys + 4);
    }
  }
}
