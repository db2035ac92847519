// Counts over a window repeated at a fixed period, in closed form: what a counter counts in the same slice of M rotation cycles.
import type { RateFunction } from './rate-function.js';

/** Above this many distinct window phases within a workload period, the sum is not taken (the caller steps instead). */
const MAX_PHASES = 4096;

/** Σ_{i=0}^{n-1} floor((a·i + b) / m) for a, b >= 0, m > 0 (the Euclid-like floor sum; O(log) steps). */
export function floorSum(n: bigint, m: bigint, a: bigint, b: bigint): bigint {
  let ans = 0n;
  for (;;) {
    if (a >= m) {
      ans += ((n * (n - 1n)) / 2n) * (a / m);
      a %= m;
    }
    if (b >= m) {
      ans += n * (b / m);
      b %= m;
    }
    const yMax = a * n + b;
    if (yMax < m) return ans;
    n = yMax / m;
    b = yMax % m;
    const t = m;
    m = a;
    a = t;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * How many whole cycles of `period` ns after the window [a, b) the sums
 * below can cover: up to the end of the linear piece holding the next
 * window, unbounded for a function that repeats exactly, and 0 otherwise.
 */
export function repeatableCycles(rate: RateFunction, a: number, b: number, period: number): number {
  if (rate.zero) return Number.POSITIVE_INFINITY;
  if (rate.repeating?.() !== undefined) return Number.POSITIVE_INFINITY;
  const piece = rate.linearPiece?.(a + period);
  if (piece === undefined || piece.origin > a + period) return 0;
  return piece.until === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor((piece.until - b) / period));
}

/**
 * Σ_{j=1}^{m} (rate.at(b + j·period) − rate.at(a + j·period)) exactly, and
 * the largest single term; undefined if it cannot be had in closed form
 * (more than `repeatableCycles` cycles, or too many phases).
 */
export function windowSums(rate: RateFunction, a: number, b: number, period: number, m: number): { total: number; max: number } | undefined {
  if (m <= 0 || rate.zero) return { total: 0, max: 0 };
  const rep = rate.repeating?.();
  if (rep !== undefined) {
    // The window's count depends only on its start modulo the workload's period: q distinct phases.
    const step = period % rep.ns;
    const q = step === 0 ? 1 : rep.ns / gcd(step, rep.ns);
    if (q > MAX_PHASES) return undefined;
    let cycle = 0;
    let max = 0;
    let partial = 0;
    const rest = m % q;
    for (let j = 1; j <= Math.min(q, m); j++) {
      const c = rate.at(b + j * period) - rate.at(a + j * period);
      cycle += c;
      if (c > max) max = c;
      if (j === rest) partial = cycle;
    }
    const total = m < q ? cycle : Math.floor(m / q) * cycle + partial;
    return Number.isSafeInteger(total) ? { total, max } : undefined;
  }
  const piece = rate.linearPiece?.(a + period);
  if (piece === undefined || repeatableCycles(rate, a, b, period) < m) return undefined;
  // Within the piece at(x) = at(origin) + floor((x − origin)·n/d): the base cancels in each difference.
  const n = BigInt(piece.n);
  const d = BigInt(piece.d);
  const sumFrom = (x: number) => floorSum(BigInt(m), d, BigInt(period) * n, BigInt(x + period - piece.origin) * n);
  const total = Number(sumFrom(b) - sumFrom(a));
  const max = Math.floor(((b - a) * piece.n) / piece.d) + 1;
  return Number.isSafeInteger(total) ? { total, max } : undefined;
}
