import { kerr } from '@cspmu/kernel';

/**
 * A cumulative event count as a function of virtual time: piecewise linear,
 * integer-valued, monotone, with an exact inverse. Evaluating it costs the
 * same after 10^12 events as after 10^3.
 */
export interface RateFunction {
  /** Events that happened in [0, t). */
  at(t: number): number;
  /** The first time at which `at(t) >= n` (Infinity if never). */
  when(n: number): number;
  /** True if it never counts anything (lets the device skip timers). */
  readonly zero: boolean;
}

export const ZERO_RATE: RateFunction = { at: () => 0, when: () => Infinity, zero: true };

/** A constant rate in events per second, e.g. a cycle counter's clock. */
export class ConstantRate implements RateFunction {
  readonly zero: boolean;
  constructor(readonly perSecond: number) {
    if (!(perSecond >= 0) || !Number.isFinite(perSecond)) throw kerr('EINVAL', `rate must be a finite number >= 0, got ${perSecond}`);
    this.zero = perSecond === 0;
  }
  at(t: number): number {
    return Math.floor((t * this.perSecond) / 1e9);
  }
  when(n: number): number {
    if (n <= 0) return 0;
    if (this.zero) return Infinity;
    let t = Math.ceil((n * 1e9) / this.perSecond);
    while (t > 0 && this.at(t - 1) >= n) t--;
    while (this.at(t) < n) t++;
    return t;
  }
}

/**
 * Phases of given durations, each with its own rate; after the last phase
 * either the phases repeat or the last rate continues forever.
 */
export class PhasedRate implements RateFunction {
  private readonly starts: number[] = [];
  private readonly before: number[] = [];
  private readonly period: number;
  private readonly perPeriod: number;
  readonly zero: boolean;

  constructor(
    private readonly durations: readonly number[],
    private readonly rates: readonly number[],
    private readonly repeat: boolean,
  ) {
    if (durations.length === 0 || durations.length !== rates.length) throw kerr('EINVAL', 'a phased rate needs one rate per phase');
    let t = 0;
    let n = 0;
    for (let i = 0; i < durations.length; i++) {
      this.starts.push(t);
      this.before.push(n);
      t += durations[i]!;
      n += Math.floor((durations[i]! * rates[i]!) / 1e9);
    }
    this.period = t;
    this.perPeriod = n;
    this.zero = rates.every((r) => r === 0);
  }

  at(t: number): number {
    let base = 0;
    if (t >= this.period) {
      if (this.repeat) {
        const k = Math.floor(t / this.period);
        base = k * this.perPeriod;
        t -= k * this.period;
      } else {
        const last = this.durations.length - 1;
        return this.before[last]! + Math.floor(((t - this.starts[last]!) * this.rates[last]!) / 1e9);
      }
    }
    let i = this.durations.length - 1;
    while (i > 0 && this.starts[i]! > t) i--;
    return base + this.before[i]! + Math.floor(((t - this.starts[i]!) * this.rates[i]!) / 1e9);
  }

  when(n: number): number {
    if (n <= 0) return 0;
    if (this.zero) return Infinity;
    // Coarse search over phase starts, then an exact search inside the phase.
    let lo = 0;
    let hi = 1;
    while (this.at(hi) < n) {
      lo = hi;
      hi *= 2;
      if (hi > Number.MAX_SAFE_INTEGER / 2) return Infinity;
    }
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.at(mid) >= n) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
