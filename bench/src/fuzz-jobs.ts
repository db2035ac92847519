// fuzz_jobs: wall time of `npm run fuzz` (the fuzz CLI) with one job and with two, same runs and seed, and how the speed-up depends on the run count.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Figure, figure } from './figure.js';
import { alternate } from './stats.js';

export const FUZZ_SEED = 20261122;
/** The workload ("100,000 runs take about 10 minutes"); a fuzz user runs 20,000 to 100,000. */
export const FUZZ_JOBS_RUNS = 100_000;
/**
 * Smaller run counts measured beside the figure, one alternating pair each: each process's start-up and JIT warm-up weigh
 * more the fewer runs it makes, so the speed-up grows with the runs, and the figure must not be read as hiding these.
 */
export const FUZZ_JOBS_CURVE_RUNS: readonly number[] = [10_000, 40_000];

/** One run of the fuzz CLI with `jobs` workers; wall ns. Throws if the fuzz run fails. */
export function fuzzOnce(root: string, jobs: number, runs: number, seed = FUZZ_SEED): number {
  const cli = join(root, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');
  const t0 = performance.now();
  // About 1.2 ms a run with one job on a quiet machine: allow ten times that, and never less than ten minutes.
  const timeout = Math.max(600_000, runs * 12);
  const r = spawnSync(process.execPath, [cli, '--runs', String(runs), '--jobs', String(jobs), '--seed', String(seed)], { encoding: 'utf8', timeout });
  const t = (performance.now() - t0) * 1e6;
  if (r.status !== 0) throw new Error(`fuzz --jobs ${jobs} failed (${r.status ?? r.signal}): ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n')}`);
  return t;
}

/** The speed-up at one run count: wall seconds with one job and with two (medians where there are several pairs). */
export interface FuzzJobsPoint {
  readonly runs: number;
  /** Alternating pairs (2 jobs, then 1 job) behind the point: the figure's rounds, or one for the informational points. */
  readonly pairs: number;
  readonly oneJobS: number;
  readonly twoJobsS: number;
  /** One job's time over two jobs' (with several pairs, the median of the pairs' ratios). */
  readonly speedUp: number;
}

/** results.json's `fuzzJobsByRuns`: the figure's run count and the smaller ones beside it, ascending. */
export interface FuzzJobsByRuns {
  readonly seed: number;
  readonly figureRuns: number;
  readonly points: readonly FuzzJobsPoint[];
}

export interface FuzzJobsOptions {
  readonly runs?: number;
  readonly curveRuns?: readonly number[];
  readonly rounds?: number;
  readonly cores: number;
}

/** Times one fuzz run, in ns (the bench's is fuzzOnce). */
export type FuzzTimer = (jobs: number, runs: number) => number | Promise<number>;

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const thousands = (n: number) => n.toLocaleString('en-US');

/**
 * The fuzz_jobs figure at `runs` (at least 5 alternating pairs, 2 jobs first), then one pair at each smaller
 * run count of the curve. The figure's text names its run count and the curve's speed-ups.
 */
export async function measureFuzzJobs(time: FuzzTimer, o: FuzzJobsOptions): Promise<{ figure: Figure; byRuns: FuzzJobsByRuns }> {
  const runs = o.runs ?? FUZZ_JOBS_RUNS;
  const rounds = o.rounds ?? 5;
  const main = await alternate(
    () => time(2, runs),
    () => time(1, runs),
    rounds,
  );
  const points: FuzzJobsPoint[] = [
    { runs, pairs: main.ratio.runs, oneJobS: r2(main.b.median / 1e9), twoJobsS: r2(main.a.median / 1e9), speedUp: r3(main.ratio.median) },
  ];
  for (const n of [...new Set(o.curveRuns ?? FUZZ_JOBS_CURVE_RUNS)].filter((n) => n < runs).sort((a, b) => a - b)) {
    const two = await time(2, n);
    const one = await time(1, n);
    points.push({ runs: n, pairs: 1, oneJobS: r2(one / 1e9), twoJobsS: r2(two / 1e9), speedUp: r3(one / two) });
  }
  points.sort((a, b) => a.runs - b.runs);
  const perSecond = (s: number) => Math.round(runs / (s / 1e9));
  const curve = points.filter((p) => p.runs !== runs).map((p) => `${r2(p.speedUp)}× at ${thousands(p.runs)}`);
  return {
    figure: figure({
      id: 'fuzz_jobs',
      figure: `npm run fuzz -- --runs ${runs} (the same seeded chunks of runs either way): wall time with --jobs 1 over --jobs 2 (the speed-up), ${o.cores} cores`,
      unit: '× speed-up',
      target: '≥ 1.8× on a 2-core machine',
      limit: 1.8,
      better: 'higher',
      spread: main.ratio,
      measured:
        `${r2(main.b.median / 1e9)} s with 1 job (${perSecond(main.b.median)} runs/s), ${r2(main.a.median / 1e9)} s with 2 (${perSecond(main.a.median)} runs/s)` +
        (curve.length ? `; fewer runs, one pair each: ${curve.join(', ')}` : ''),
    }),
    byRuns: { seed: FUZZ_SEED, figureRuns: runs, points },
  };
}
