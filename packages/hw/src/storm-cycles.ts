// Overflow storms faster than one event a nanosecond, in closed form: the cycles' lengths and overshoots follow the orbit of their start phase.
import { scanCycles, scanMultiplications } from './storm-scan.js';

/** Phases at most this many: their orbit is followed step by step (in arithmetic, not interrupts) until it repeats. */
export const MAX_ORBIT_PHASES = 1 << 16;
/**
 * More phases: cycles are counted by a walker with one state per ns of a cycle (see scanCycles) when that
 * costs less than stepping them, and its states are at most this many. Each set of moves takes 21 bytes a
 * state (5.5 MB at the cap) and a scan holds a few per Euclid level at once: at 1234567891/s over 10^15 ns
 * a walker of 212,000 states peaked near 240 MB of RSS, one of 850,000 near 710 MB, so the cap is 2^18.
 */
export const MAX_SCANNED_STATES = 1 << 18;
/** More phases where stepping is cheaper (or the walker too large): at most this many are stepped in one call (in arithmetic, not interrupts). */
export const MAX_STEPPED_CYCLES = 1 << 18;

/** The next k overflow cycles of a counter preloaded again at each overflow, as replaying them needs them. */
export interface StormCycles {
  /** Overflows due within the limit. */
  readonly k: number;
  /** From the first cycle's start to the k-th overflow, in ns. */
  readonly ns: number;
  /** Events past the top in an overflow's own nanosecond, and how many of the k cycles had that many. */
  readonly overshoots: ReadonlyMap<number, number>;
  /** Phase steps computed. */
  readonly steps: number;
}

/**
 * At n/d events a nanosecond with n > d, several events share a nanosecond:
 * a cycle that must count `perCycle` events ends in the nanosecond of its
 * last one, and the events after it in that nanosecond (its overshoot) are
 * counted too. The next cycle starts at that nanosecond's end, so each
 * cycle's length and overshoot depend only on the phase it starts at (the
 * count's position within its nanosecond, in 1/d of an event), and the
 * phases form an orbit that repeats after at most d steps (though not
 * always after one: at 1.2 GHz a 1-bit counter's cycles start at phases
 * 0, 1, 2, 3, 4 of 5 in turn). With A the length of a cycle started at phase
 * 0 and theta = perCycle*d - (A-1)*n, a cycle starting at phase p < theta
 * takes A ns and otherwise A-1, and ends at phase (p + n - theta) or
 * (p - theta), less the overshoot's whole events of d.
 */
class PhaseOrbit {
  readonly longNs: number;
  readonly theta: number;
  /** Set by step(): the overshoot and length of the cycle just stepped. */
  overshoot = 0;
  ns = 0;

  constructor(
    private readonly n: number,
    private readonly d: number,
    longNs: bigint,
    theta: bigint,
  ) {
    this.longNs = Number(longNs);
    this.theta = Number(theta);
  }

  /** The phase the next cycle starts at, for a cycle starting at phase p. */
  step(p: number): number {
    const long = p < this.theta;
    const s = long ? p + this.n - this.theta : p - this.theta;
    // Exact: the floor of a quotient of integers below 2^53 never rounds up to the next integer.
    const o = Math.floor(s / this.d);
    this.overshoot = o;
    this.ns = long ? this.longNs : this.longNs - 1;
    return s - o * this.d;
  }
}

/** Cycles walked so far: how many, their total length and overshoots, and the phase the next one starts at. */
class Walk {
  k = 0;
  ns = 0;
  readonly overshoots = new Map<number, number>();
  constructor(public phase: number) {}

  /** Up to `count` more cycles while they end by `maxNs`; false if one would end after it. */
  go(orbit: PhaseOrbit, count: number, maxNs: number): boolean {
    for (let i = 0; i < count; i++) {
      const next = orbit.step(this.phase);
      if (this.ns + orbit.ns > maxNs) return false;
      this.k++;
      this.ns += orbit.ns;
      this.overshoots.set(orbit.overshoot, (this.overshoots.get(orbit.overshoot) ?? 0) + 1);
      this.phase = next;
    }
    return true;
  }

  /** Add `times` repeats of another walk's cycles. */
  repeat(other: Walk, times: number): void {
    if (times === 0) return;
    this.k += times * other.k;
    this.ns += times * other.ns;
    for (const [o, c] of other.overshoots) this.overshoots.set(o, (this.overshoots.get(o) ?? 0) + times * c);
  }
}

/**
 * The overflow cycles that end within `maxNs` of a start at `phase` (of d),
 * at n/d events a nanosecond (n > d), each counting `perCycle` events before
 * its overflow: exactly as stepping them one by one would find them (with
 * more than MAX_ORBIT_PHASES phases where stepping is the cheaper way, only
 * the first MAX_STEPPED_CYCLES of them).
 * Undefined when fewer than two can fit or when the numbers are past exact
 * double arithmetic.
 */
export function stormCycles(n: number, d: number, phase: number, perCycle: bigint, maxNs: number): StormCycles | undefined {
  const orbit = orbitOf(n, d, perCycle, maxNs);
  if (orbit === undefined) return undefined;
  if (d > MAX_ORBIT_PHASES) return longOrbitCycles(orbit, n, d, phase, perCycle, Math.floor(maxNs));
  // Brent's cycle finding: the orbit's period, then how many steps lead into it.
  let steps = 1;
  let power = 1;
  let period = 1;
  let slow = phase;
  let fast = orbit.step(phase);
  while (slow !== fast) {
    if (power === period) {
      slow = fast;
      power *= 2;
      period = 0;
    }
    fast = orbit.step(fast);
    period++;
    steps++;
  }
  slow = fast = phase;
  for (let i = 0; i < period; i++) fast = orbit.step(fast);
  let lead = 0;
  while (slow !== fast) {
    slow = orbit.step(slow);
    fast = orbit.step(fast);
    lead++;
  }
  steps += period + 2 * lead;
  const walk = new Walk(phase);
  if (walk.go(orbit, lead, maxNs)) {
    const loop = new Walk(walk.phase);
    loop.go(orbit, period, Infinity);
    walk.repeat(loop, Math.floor((maxNs - walk.ns) / loop.ns));
    walk.go(orbit, period, maxNs);
    steps += lead + 2 * period;
  }
  return { k: walk.k, ns: walk.ns, overshoots: walk.overshoots, steps };
}

/** The phase map of cycles counting perCycle events at n/d events a ns; undefined where stormCycles is. */
function orbitOf(n: number, d: number, perCycle: bigint, maxNs: number): PhaseOrbit | undefined {
  if (!(n > d) || !Number.isSafeInteger(n + d) || !(perCycle > 0n)) return undefined;
  const bn = BigInt(n);
  const need = perCycle * BigInt(d);
  const longNs = (need + bn - 1n) / bn;
  // Every cycle takes at least A-1 ns: two of them must fit.
  if (2n * (longNs - 1n) > BigInt(Math.floor(maxNs))) return undefined;
  return new PhaseOrbit(n, d, longNs, need - (longNs - 1n) * bn);
}

/** How cycles with too many phases are counted: the cheaper way, or (for tests of each way) by scanning or stepping. */
export type LongOrbitWay = 'cheaper' | 'scan' | 'step';

/** What stormCycles finds for more than MAX_ORBIT_PHASES phases, at any number of phases (so tests can set it against the orbit). */
export function longStormCycles(n: number, d: number, phase: number, perCycle: bigint, maxNs: number, way: LongOrbitWay = 'cheaper'): StormCycles | undefined {
  const orbit = orbitOf(n, d, perCycle, maxNs);
  return orbit && longOrbitCycles(orbit, n, d, phase, perCycle, Math.floor(maxNs), way);
}

/**
 * Too many phases to follow the orbit. When every cycle is long (theta >= d: each takes A ns) they are
 * counted by division; otherwise by a walker scanning the ns (see scanCycles) or by stepping them,
 * whichever costs less (see scanIsCheaper). The overshoots need only the
 * totals: short cycles have none, long ones q or q + 1 (the floor of (p + n - theta) / d for p below
 * theta and d), and together they are the events counted past k whole cycles.
 */
function longOrbitCycles(orbit: PhaseOrbit, n: number, d: number, phase: number, perCycle: bigint, limit: number, way: LongOrbitWay = 'cheaper'): StormCycles {
  const { theta, longNs } = orbit;
  const short = longNs - 1;
  let found: { k: number; ns: number; work: number };
  if (theta >= d) {
    const k = Math.floor(limit / longNs);
    found = { k, ns: k * longNs, work: 1 };
  } else {
    const plan = way === 'cheaper' ? planScan(n, d, phase, theta, short, limit) : { scan: way === 'scan', work: 0 };
    if (!plan.scan) {
      const walk = new Walk(phase);
      walk.go(orbit, MAX_STEPPED_CYCLES, limit);
      return { k: walk.k, ns: walk.ns, overshoots: walk.overshoots, steps: plan.work + walk.k + 1 };
    }
    const scanned = scanCycles(n, d, phase, theta, short, limit);
    found = { ...scanned, work: plan.work + scanned.work };
  }
  const { k, ns } = found;
  const longs = ns - k * short;
  const events = (BigInt(phase) + BigInt(n) * BigInt(ns)) / BigInt(d);
  const q = Math.floor((n - theta) / d);
  const higher = Number(events - BigInt(k) * perCycle) - q * longs;
  const overshoots = new Map<number, number>();
  const add = (o: number, count: number) => {
    if (count > 0) overshoots.set(o, (overshoots.get(o) ?? 0) + count);
  };
  add(0, k - longs);
  add(q, longs - higher);
  add(q + 1, higher);
  return { k, ns, overshoots, steps: found.work };
}

/**
 * Whether the walker (short + 1 states, each multiplication of moves touching all of them) counts the
 * cycles within `limit` for less work than stepping them one by one would (about limit / short, over as
 * many calls as it takes), and the work of deciding. The multiplications are counted by a dry run with
 * two states, which costs twice what it finds. Scanning short cycles is then O(A log d) and stepping long
 * ones O(limit / A): at worst about sqrt(limit * multiplications) either way, never limit / A for small A
 * over a long limit.
 */
function planScan(n: number, d: number, phase: number, theta: number, short: number, limit: number): { scan: boolean; work: number } {
  const stepping = limit / short;
  // Too large a walker, or too few cycles to be worth even the dry run.
  if (short + 1 > MAX_SCANNED_STATES || stepping < 4 * Math.log2(limit + 2) * (short + 1)) return { scan: false, work: 0 };
  const multiplications = scanMultiplications(n, d, phase, theta, limit);
  return { scan: (short + 1) * multiplications <= stepping, work: 2 * multiplications };
}
