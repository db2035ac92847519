// Rotation cycles in closed form on the device side: each counter's runs of the last cycle, repeated m times, summed exactly.
import type { Clock } from '@cspmu/kernel';
import type { CounterEngine } from './counter-engine.js';
import type { CounterRuns } from './counter-runs.js';
import { repeatableCycles, windowSums } from './window-sums.js';

const TWO32 = 4294967296;

/** One slice a counter counted in the last rotation cycle, in clock time. */
export interface CounterWindow {
  readonly counter: number;
  readonly start: number;
  readonly end: number;
}

/**
 * What a driver may ask of the device model to multiplex in closed form
 * (an emulator service; real hardware has none): "the cycle of slices that
 * just ended repeats m more times". The device checks that each window was
 * a run of its counter from a fresh preload, that no counter would overflow
 * in any copy and that no other counter's overflow falls inside, then
 * answers with the count each window adds over the copies and moves its
 * counters as if the copies had happened: the active ones preloaded again at
 * the end, idle ones holding what their last copy left.
 */
export class WindowReplayer {
  constructor(
    private readonly engine: CounterEngine,
    private readonly runs: CounterRuns,
    private readonly clock: Clock,
    private readonly counterBits: number,
    private readonly words: Uint32Array,
    private readonly wordOf: Int32Array,
    private readonly implemented: readonly number[],
    /** No bus latency (an access lands when the driver makes it) and no overflow pending (no freeze, no handler due). */
    private readonly quiet: () => boolean,
  ) {}

  /** Counts per window over up to `maxCycles` more cycles of `period` ns; undefined if they cannot be had exactly. */
  replay(windows: readonly CounterWindow[], active: readonly number[], period: number, maxCycles: number): { cycles: number; totals: number[] } | undefined {
    // A budget under one cycle (or NaN) is refused by the m >= 1 check below: m only ever falls from floor(maxCycles).
    if (!this.quiet() || !Number.isSafeInteger(period) || period <= 0) return undefined;
    const t = this.clock.now();
    const runs = [];
    let m = Math.floor(maxCycles);
    // Per-counter state is kept by dense slot, so a counter the device does not have must be refused here, before any lookup.
    if (!windows.every((w) => this.implemented.includes(w.counter)) || !active.every((p) => this.implemented.includes(p))) return undefined;
    for (const w of windows) {
      const run = this.runs.find(w.counter, w.start, w.end);
      if (run === undefined || !run.fresh || w.start < t - period || w.end > t) return undefined;
      runs.push(run);
      m = Math.min(m, repeatableCycles(run.rate, w.start, w.end, period));
    }
    for (const p of active) {
      const open = this.engine.openRunOf(p);
      // A run is open exactly while the engine counts the counter (the model starts and stops both at once), so open means counting.
      if (open === undefined || open.start !== t || !open.fresh) return undefined;
    }
    // A counter that goes on counting through the cycles (not multiplexed) must not overflow before they end.
    for (const p of this.implemented) {
      const c = this.engine.counting(p);
      if (c === undefined || active.includes(p)) continue;
      if (Number.isFinite(c.nextOverflow)) m = Math.min(m, Math.floor((c.nextOverflow - 1 - t) / period));
    }
    // The copies must end at a safe clock time (now and the period are whole ns, so the copies' span is then safe too).
    if (!(m >= 1) || !Number.isSafeInteger(t + m * period)) return undefined;
    const totals: number[] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      const run = runs[i]!;
      const s = windowSums(run.rate, w.start, w.end, period, m);
      // A copy that reached the top of the counter would have raised an interrupt: step instead.
      if (s === undefined || s.max >= this.remaining(run.lo, run.hi)) return undefined;
      totals.push(s.total);
    }
    const shift = m * period;
    // Added one by one, not spread from a map(): V8 11.3's map() result changes hidden class once this is optimised,
    // which deoptimised the spread.
    const counters = new Set<number>();
    for (const w of windows) counters.add(w.counter);
    for (const p of active) counters.add(p);
    const idle = [];
    for (const p of counters) {
      if (active.includes(p)) continue;
      // An idle counter holds what its newest window's last copy left: its preload plus that copy's count.
      const last = this.runs.last(p);
      if (last === undefined || !windows.some((w) => w.counter === p && w.start === last.start && w.end === last.end)) return undefined;
      // Written since (a group that did not fit was added, then taken off): each copy writes the same value again.
      if (this.engine.lastWrittenAt(p) >= last.end) continue;
      idle.push({ p, last, count: last.rate.at(last.end + shift) - last.rate.at(last.start + shift) });
    }
    for (const { p, last, count } of idle) this.store(p, last.lo, last.hi, count);
    for (const p of counters) this.engine.shiftRuns(p, t - period, shift);
    for (const p of active) this.engine.written(p, t + shift);
    this.clock.work.add(1);
    return { cycles: m, totals };
  }

  /** Events until a counter holding (lo, hi) wraps. */
  private remaining(lo: number, hi: number): number {
    const bits = this.counterBits;
    return bits > 32 ? (2 ** (bits - 32) - 1 - hi) * TWO32 + (TWO32 - lo) : 2 ** bits - lo;
  }

  private store(p: number, lo: number, hi: number, count: number): void {
    const cLo = count % TWO32;
    let nLo = lo + cLo;
    let nHi = hi + (count - cLo) / TWO32;
    if (nLo >= TWO32) {
      nLo -= TWO32;
      nHi += 1;
    }
    const w = this.wordOf[p]!;
    this.words[w] = nLo;
    if (this.counterBits > 32) this.words[w + 1] = nHi;
  }
}
