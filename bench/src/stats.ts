// Summaries of repeated measurements: median, quartiles and range, and A/B runs taken alternately so drift hits both sides.

/** The distribution of one figure over its runs. */
export interface Spread {
  readonly runs: number;
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
}

/** The value at quantile `q` (0..1) of sorted values, interpolated between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no measurements');
  const s = [...values].sort((a, b) => a - b);
  return { runs: s.length, min: s[0]!, q1: quantile(s, 0.25), median: quantile(s, 0.5), q3: quantile(s, 0.75), max: s[s.length - 1]! };
}

/** A and B measured alternately (A, B, A, B, ...), and the ratio B/A of each pair. */
export interface Alternated {
  readonly a: Spread;
  readonly b: Spread;
  readonly ratio: Spread;
}

/** Measure `a` and `b` alternately `rounds` times (at least 5); each pair gives one ratio b/a. */
export async function alternate(a: () => Promise<number> | number, b: () => Promise<number> | number, rounds = 5): Promise<Alternated> {
  if (rounds < 5) throw new Error('a ratio needs at least 5 alternating rounds');
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = await a();
    const y = await b();
    as.push(x);
    bs.push(y);
    ratios.push(y / x);
  }
  return { a: spreadOf(as), b: spreadOf(bs), ratio: spreadOf(ratios) };
}
