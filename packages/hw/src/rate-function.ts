// Cumulative event counts as exact piecewise-linear functions of virtual time, with exact inverses.
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
  /** The linear piece containing t, if known: within [t, until), at(x) = at(origin) + floor((x - origin) * n / d). */
  linearPiece?(t: number): LinearPiece | undefined;
  /** If the function repeats exactly (at(t + ns) = at(t) + events for every t), its period. */
  repeating?(): { readonly ns: number; readonly events: number } | undefined;
}

/** A stretch of time over which a rate function counts n/d events per ns from `origin`. */
export interface LinearPiece {
  readonly n: number;
  readonly d: number;
  readonly origin: number;
  readonly until: number;
}

/** ((x - origin) * n) mod d: where in its nanosecond a linear count stands at x. Equal phases mean identical futures. */
export function phaseAt(piece: LinearPiece, x: number): number {
  return Number((BigInt(x - piece.origin) * BigInt(piece.n)) % BigInt(piece.d));
}

export const ZERO_RATE: RateFunction = { at: () => 0, when: () => Infinity, zero: true };

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The largest denominator a rate in events per second is taken with. */
export const MAX_RATE_DENOMINATOR = 1_000_000;

/**
 * The fraction p/q that a rate in events per second stands for: the one with
 * the smallest q (up to MAX_RATE_DENOMINATOR) that equals it as a double, so
 * 104166666.66666667 is 312500000/3 and 0.1 is 1/10; a number no such
 * fraction gives is taken as its closest continued-fraction convergent within
 * that bound.
 */
export function rateFraction(perSecond: number): { p: number; q: number } {
  if (Number.isInteger(perSecond)) return { p: perSecond, q: 1 };
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let best = { p: Math.round(perSecond), q: 1 };
  let r = perSecond;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(r);
    const [h, k] = [a * h1 + h0, a * k1 + k0];
    if (k > MAX_RATE_DENOMINATOR || h > MAX_SAFE) break;
    best = { p: h, q: k };
    if (h / k === perSecond || r === a) break;
    r = 1 / (r - a);
    [h0, h1, k0, k1] = [h1, h, k1, k];
  }
  return best;
}

/** A rate in events per second (fractions included, see rateFraction), as the reduced fraction n/d of events per nanosecond. */
export function ratePerNs(perSecond: number): { n: number; d: number } {
  const { p, q } = rateFraction(perSecond);
  if (p === 0) return { n: 0, d: 1 };
  const d = q * 1e9;
  const g = gcd(p, d);
  return { n: p / g, d: d / g };
}

/** floor(t * n / d) exactly, for integers t, n >= 0 and d > 0 (no allocation unless the values are extreme). */
export function mulDivFloor(t: number, n: number, d: number): number {
  const tn = t * n;
  return tn <= MAX_SAFE ? exactQuotient(tn, d) : mulDivFloorLarge(t, n, d);
}

/** mulDivFloor of a product above 2^53 (apart: counter reads inline the common case). */
function mulDivFloorLarge(t: number, n: number, d: number): number {
  const tq = Math.floor(t / d);
  const tr = t - tq * d;
  const trn = tr * n;
  if (trn <= MAX_SAFE && tq * n <= MAX_SAFE) return tq * n + exactQuotient(trn, d);
  return Number((BigInt(t) * BigInt(n)) / BigInt(d));
}

/** floor(x / d) for an exactly represented integer x: the double division corrected by one step. */
function exactQuotient(x: number, d: number): number {
  let q = Math.floor(x / d);
  if (q * d > x) q--;
  else if ((q + 1) * d <= x) q++;
  return q;
}

/** A constant rate in events per second, fractional or whole (see rateFraction), e.g. a cycle counter's clock. */
export class ConstantRate implements RateFunction {
  readonly zero: boolean;
  private readonly n: number;
  private readonly d: number;
  constructor(readonly perSecond: number) {
    if (!(perSecond >= 0) || !Number.isFinite(perSecond)) throw kerr('EINVAL', `rate must be a finite number >= 0, got ${perSecond}`);
    ({ n: this.n, d: this.d } = ratePerNs(perSecond));
    this.zero = this.n === 0;
  }
  at(t: number): number {
    return mulDivFloor(t, this.n, this.d);
  }
  linearPiece(): LinearPiece {
    return { n: this.n, d: this.d, origin: 0, until: Infinity };
  }
  when(n: number): number {
    if (n <= 0) return 0;
    if (this.zero) return Infinity;
    // The first t with floor(t*n_/d_) >= n is ceil(n*d_/n_): exact in BigInt (scheduling, not the read path).
    const nn = BigInt(this.n);
    const t = (BigInt(n) * BigInt(this.d) + nn - 1n) / nn;
    return t > BigInt(MAX_SAFE) ? Infinity : Number(t);
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
  private readonly ns: number[] = [];
  private readonly ds: number[] = [];
  readonly zero: boolean;

  constructor(
    private readonly durations: readonly number[],
    rates: readonly number[],
    private readonly repeat: boolean,
  ) {
    if (durations.length === 0 || durations.length !== rates.length) throw kerr('EINVAL', 'a phased rate needs one rate per phase');
    let t = 0;
    let n = 0;
    for (let i = 0; i < durations.length; i++) {
      const r = ratePerNs(rates[i]!);
      this.ns.push(r.n);
      this.ds.push(r.d);
      this.starts.push(t);
      this.before.push(n);
      t += durations[i]!;
      n += mulDivFloor(durations[i]!, r.n, r.d);
    }
    this.period = t;
    this.perPeriod = n;
    this.zero = this.ns.every((x) => x === 0);
  }

  private inPhase(i: number, dt: number): number {
    return mulDivFloor(dt, this.ns[i]!, this.ds[i]!);
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
        return this.before[last]! + this.inPhase(last, t - this.starts[last]!);
      }
    }
    let i = this.durations.length - 1;
    while (i > 0 && this.starts[i]! > t) i--;
    return base + this.before[i]! + this.inPhase(i, t - this.starts[i]!);
  }

  repeating(): { ns: number; events: number } | undefined {
    return this.repeat ? { ns: this.period, events: this.perPeriod } : undefined;
  }

  linearPiece(t: number): LinearPiece | undefined {
    let base = 0;
    if (t >= this.period) {
      if (!this.repeat) {
        const last = this.durations.length - 1;
        return { n: this.ns[last]!, d: this.ds[last]!, origin: this.starts[last]!, until: Infinity };
      }
      base = Math.floor(t / this.period) * this.period;
    }
    let i = this.durations.length - 1;
    while (i > 0 && this.starts[i]! > t - base) i--;
    return { n: this.ns[i]!, d: this.ds[i]!, origin: base + this.starts[i]!, until: base + this.starts[i]! + this.durations[i]! };
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
