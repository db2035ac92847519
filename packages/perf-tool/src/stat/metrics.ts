// The metric column perf stat derives for a line (its "shadow stats"): CPUs utilized for clocks, a per-second rate beside a clock.
import type { StatLine } from './aggregate.js';

export interface Metric {
  readonly value: number;
  /** The unit text: "CPUs utilized", "K/sec", "/sec"… */
  readonly unit: string;
}

/** Privilege and idle exclusions: perf only relates counts of the same context. */
function contextOf(l: StatLine): string {
  const a = l.counter.parsed.attr;
  return [a.exclude_user, a.exclude_kernel, a.exclude_hv, a.exclude_host, a.exclude_idle].map((b) => (b ? 1 : 0)).join('');
}

const bucketOf = (l: StatLine) => `${l.aggr?.label ?? ''}/${contextOf(l)}`;

/**
 * The metric of each line (undefined: perf prints an empty metric).
 * task-clock and cpu-clock give "CPUs utilized" (clock time over the span);
 * any other counted line gives a rate per second when a clock was counted in
 * the same bucket and context (mean of the clocks, as perf averages them).
 */
export function metricsOf(lines: readonly StatLine[], spanNs: number): (Metric | undefined)[] {
  const clocks = new Map<string, { sum: number; n: number }>();
  for (const l of lines) {
    if (!l.counter.isClock || l.status !== 'counted') continue;
    const k = bucketOf(l);
    const c = clocks.get(k) ?? { sum: 0, n: 0 };
    c.sum += l.raw;
    c.n++;
    clocks.set(k, c);
  }
  return lines.map((l) => {
    if (l.status !== 'counted') return undefined;
    if (l.counter.isClock) return { value: spanNs > 0 ? l.raw / spanNs : 0, unit: 'CPUs utilized' };
    const c = clocks.get(bucketOf(l));
    if (!c) return undefined;
    const total = c.sum / c.n;
    let ratio = total ? (1e9 * l.value) / total : 0;
    let prefix = '';
    for (const [limit, p] of [
      [1e9, 'G'],
      [1e6, 'M'],
      [1e3, 'K'],
    ] as const) {
      if (ratio > limit) {
        ratio /= limit;
        prefix = p;
        break;
      }
    }
    return { value: ratio, unit: `${prefix}/sec` };
  });
}

/** Mean, the standard deviation of the mean, and that in % of the mean (perf's noise), over repeated runs. */
export function noiseOf(values: readonly number[]): { mean: number; sd: number; pct: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sd: 0, pct: 0 };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) / n);
  return { mean, sd, pct: mean ? (100 * sd) / mean : 0 };
}
