// The machine's clock in integer nanoseconds: a deterministic manual clock with timers, and one that follows the host.
import { describeValue, type KernelError, kerr } from '../base/errors.js';
import { WorkCounter } from './work.js';

export interface Timer {
  /** Absolute deadline in clock nanoseconds. */
  readonly deadline: number;
  readonly active: boolean;
  cancel(): boolean;
}

/**
 * Time for the emulated machine, in integer nanoseconds. `ManualClock` is
 * virtual and deterministic; `RealClock` follows the host.
 */
export interface Clock {
  readonly kind: 'manual' | 'real';
  /** Work done on this machine's behalf (timers fired, batches, comparisons): what tests budget. */
  readonly work: WorkCounter;
  now(): number;
  /** Run `fn` once at absolute time `deadline` (or at once if it is past). */
  at(deadline: number, fn: () => void, owner?: object): Timer;
  /** Run `fn` once `delayNs` from now. */
  after(delayNs: number, fn: () => void): Timer;
  /**
   * How far time is known to run without anyone looking: the target of the
   * advance in progress (now, when none is). Work that repeats identically
   * may be computed in closed form up to here.
   */
  horizon(): number;
  /**
   * The earliest pending timer's deadline, or undefined if none (a real
   * clock does not know: undefined). With `owner`, only timers armed without
   * an owner or by that owner count: what could touch that owner's state;
   * `alsoCount` adds the timers of other owners it accepts.
   */
  nextDeadline(owner?: object, alsoCount?: (other: object) => boolean): number | undefined;
}

function checkTime(what: string, ns: number): void {
  if (!Number.isSafeInteger(ns) || ns < 0) {
    throw kerr('EINVAL', `${what} must be a non-negative integer of nanoseconds, got ${describeValue(ns)}`);
  }
}

function checkCallback(fn: unknown): void {
  if (typeof fn !== 'function') throw kerr('EINVAL', 'a timer needs a callback function');
}

class ManualTimer implements Timer {
  active = true;
  constructor(
    private readonly clock: ManualClock,
    readonly deadline: number,
    readonly seq: number,
    readonly fn: () => void,
    readonly owner: object | undefined,
  ) {}
  cancel(): boolean {
    if (!this.active) return false;
    this.active = false;
    this.clock.forget(this);
    return true;
  }
}

/**
 * How many timers one advance fires at one instant before it calls it a storm: a timer that arms itself again at its
 * own deadline (a device whose overflow never comes, say) would otherwise hold time there for ever. Far above any real
 * burst (every counter of 4096 PMUs overflowing in one ns is 2^18). A clock may be given another bound.
 */
export const MAX_TIMERS_AT_ONE_INSTANT = 1 << 20;

/**
 * A virtual clock that moves only when told. Timers fire in deadline order
 * (ties in the order they were armed), each with `now()` equal to its
 * deadline, including timers armed by other timers within the same advance.
 */
export class ManualClock implements Clock {
  readonly kind = 'manual' as const;
  readonly work = new WorkCounter();
  private t: number;
  private seq = 0;
  private readonly heap: ManualTimer[] = [];
  private advancing = false;
  private target = 0;

  constructor(
    startNs = 0,
    readonly maxTimersAtOneInstant = MAX_TIMERS_AT_ONE_INSTANT,
  ) {
    checkTime('start time', startNs);
    if (!Number.isSafeInteger(maxTimersAtOneInstant) || maxTimersAtOneInstant < 1)
      throw kerr('EINVAL', `the timers at one instant must be bounded by a positive integer, got ${describeValue(maxTimersAtOneInstant)}`);
    this.t = startNs;
  }

  now(): number {
    return this.t;
  }

  /** `owner` (optional) tags the timer for nextDeadline(owner): a device's own timers, say. */
  at(deadline: number, fn: () => void, owner?: object): Timer {
    checkTime('timer deadline', deadline);
    checkCallback(fn);
    const timer = new ManualTimer(this, Math.max(deadline, this.t), this.seq++, fn, owner);
    this.push(timer);
    return timer;
  }

  after(delayNs: number, fn: () => void): Timer {
    checkTime('timer delay', delayNs);
    return this.at(this.t + delayNs, fn);
  }

  /** Move time forward by `deltaNs`, firing every timer that falls due. */
  advance(deltaNs: number): void {
    checkTime('advance', deltaNs);
    this.advanceTo(this.t + deltaNs);
  }

  advanceTo(target: number): void {
    checkTime('target time', target);
    if (target < this.t) throw kerr('EINVAL', `cannot move the clock back from ${this.t} ns to ${target} ns`);
    if (this.advancing) throw kerr('EDEADLK', 'the clock is already advancing; a timer callback may not advance it');
    this.advancing = true;
    this.target = target;
    try {
      let atThisInstant = 0;
      for (;;) {
        const next = this.heap[0];
        if (next === undefined || next.deadline > target) break;
        this.pop();
        if (next.deadline !== this.t) atThisInstant = 1;
        else if (++atThisInstant > this.maxTimersAtOneInstant) throw this.storm(next);
        this.t = next.deadline;
        next.active = false;
        this.work.steps++;
        next.fn();
      }
      this.t = target;
    } finally {
      this.advancing = false;
    }
  }

  /** The error of a timer storm: time stays where it is, and the timer that went past the bound is dropped. */
  private storm(timer: ManualTimer): KernelError {
    timer.active = false;
    const owner = timer.owner === undefined ? '' : ` (the last armed by a ${timer.owner.constructor?.name ?? 'timer owner'})`;
    return kerr(
      'EDEADLK',
      `timer storm: over ${this.maxTimersAtOneInstant} timers fired at ${this.t} ns without time moving on${owner}; a timer that arms itself again at its own deadline holds the clock there: its callback must make progress`,
    );
  }

  /** Advance to the next pending timer and fire it; false if there is none. */
  step(): boolean {
    const next = this.heap[0];
    if (next === undefined) return false;
    this.advanceTo(next.deadline);
    return true;
  }

  get pendingTimers(): number {
    return this.heap.length;
  }

  horizon(): number {
    return this.advancing ? this.target : this.t;
  }

  nextDeadline(owner?: object, alsoCount?: (other: object) => boolean): number | undefined {
    if (owner === undefined) return this.heap[0]?.deadline;
    let min: number | undefined;
    for (const t of this.heap) {
      const counts = t.owner === undefined || t.owner === owner || alsoCount?.(t.owner) === true;
      if (counts && (min === undefined || t.deadline < min)) min = t.deadline;
    }
    return min;
  }

  /** @internal */
  forget(timer: ManualTimer): void {
    const i = this.heap.indexOf(timer);
    if (i < 0) return;
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.siftDown(i);
      this.siftUp(i);
    }
  }

  private less(a: ManualTimer, b: ManualTimer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private push(t: ManualTimer): void {
    this.heap.push(t);
    this.siftUp(this.heap.length - 1);
  }

  private pop(): ManualTimer | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last !== undefined) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

class RealTimer implements Timer {
  active = true;
  handle: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly deadline: number) {}
  cancel(): boolean {
    if (!this.active) return false;
    this.active = false;
    clearTimeout(this.handle);
    return true;
  }
}

/** Host time since the clock was made, in integer nanoseconds. */
export class RealClock implements Clock {
  readonly kind = 'real' as const;
  readonly work = new WorkCounter();
  private readonly origin = performance.now();

  now(): number {
    return Math.round((performance.now() - this.origin) * 1e6);
  }

  at(deadline: number, fn: () => void): Timer {
    checkTime('timer deadline', deadline);
    checkCallback(fn);
    const timer = new RealTimer(deadline);
    const delayMs = Math.max(0, (deadline - this.now()) / 1e6);
    timer.handle = setTimeout(() => {
      if (!timer.active) return;
      timer.active = false;
      fn();
    }, delayMs);
    timer.handle.unref?.();
    return timer;
  }

  after(delayNs: number, fn: () => void): Timer {
    checkTime('timer delay', delayNs);
    return this.at(this.now() + delayNs, fn);
  }

  horizon(): number {
    return this.now();
  }

  nextDeadline(): number | undefined {
    return undefined;
  }
}
