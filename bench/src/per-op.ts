// Time per operation measured as bench/native/perf-syscall-ref.c measures the kernel: whole loops of operations timed and divided, every result consumed.
import { measure } from 'mitata';

/**
 * A loop of `n` operations that returns the sum of their results. Each figure
 * writes its own loop literal, as the C program writes its own: a loop shared
 * by every figure would call each figure's operation through one call site,
 * and its cost would depend on which figures ran before.
 */
export type OpLoop = (n: number) => number;

export interface PerOpOptions {
  /** Operations per timed loop. */
  readonly n: number;
  /** Timed loops per measurement; the C program times one loop of n × loops operations. */
  readonly loops: number;
  /** What one operation returns: a loop that returns anything but n × this did not do every operation. */
  readonly each: number;
  /**
   * 'total' (the default): the total time over the total count, as the C
   * program measures. 'median': the median loop's time over n, for ratios
   * whose two sides are both ours, so that a loop another process or a GC
   * interrupted on one side only does not move the ratio.
   */
  readonly statistic?: 'total' | 'median';
  /** The clock the loops are timed by, in ns (mitata's, from performance.now(), unless given). */
  readonly now?: () => number;
  /**
   * Untimed loops of n run before the timed ones (1 unless given), each
   * checked like a timed one: the same warm-up every measurement, whatever
   * the process ran before.
   */
  readonly warmLoops?: number;
}

/** A full collection when node runs with --expose-gc, read when called (so a wrapper installed later is called). */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Nanoseconds per operation over `loops` timed loops of `n` operations
 * (mitata's unbatched mode: one call of `loop` per sample, after one
 * untimed warm-up call), checked to have done every operation. It is the
 * total time over the total count, as the C program's one timed loop is:
 * no sample is dropped (not the slow ones, not those a GC ran in), and no
 * harness call or timestamp falls between two operations.
 *
 * The heap is settled by one full collection (with --expose-gc) before the
 * warm-up, never between the warm-up and the timed loops (mitata's own
 * collection there is turned off): when nothing the loop made is alive, a
 * full collection frees the hidden classes its compiled code was
 * specialised for, and V8 throws that code away ("weak objects"). Open +
 * close then spent its first timed loops re-optimising, 1.8-3.5 µs a pair
 * instead of 1.0, unless an earlier figure happened to leave an event
 * alive. The C program has no collection to take.
 */
export async function perOp(loop: OpLoop, o: PerOpOptions): Promise<number> {
  if (!Number.isSafeInteger(o.n * o.each)) throw new Error(`a loop's sum (${o.n} × ${o.each}) must be an exact integer to check`);
  const warmLoops = o.warmLoops ?? 1;
  if (!Number.isSafeInteger(warmLoops) || warmLoops < 1)
    throw new Error(`warmLoops must be an integer ≥ 1 (mitata's own warm-up call is one), got ${warmLoops}`);
  let wrongSum: number | undefined;
  const run = () => {
    const sum = loop(o.n);
    if (sum !== o.n * o.each && wrongSum === undefined) wrongSum = sum;
  };
  collect();
  for (let i = 1; i < warmLoops; i++) run();
  // mitata calls run once untimed, then times `loops` calls: warmup_threshold 0 keeps that warm-up to exactly one call
  // (it makes two more when the first takes under 0.5 ms), and gc: false keeps its collection out from between them.
  const stats = await measure(run, {
    gc: false,
    warmup_threshold: 0,
    batch_threshold: -1,
    min_samples: o.loops,
    min_cpu_time: 0,
    samples_threshold: Number.POSITIVE_INFINITY,
    ...(o.now ? { now: o.now } : {}),
  });
  if (wrongSum !== undefined) throw new Error(`a loop of ${o.n} operations returned ${wrongSum}, not ${o.n * o.each}: not every operation ran`);
  if (stats.samples.length !== o.loops) throw new Error(`timed ${stats.samples.length} loops, not ${o.loops}`);
  return (o.statistic === 'median' ? stats.p50 : stats.avg) / o.n;
}
