// The fuzz API: run the lifecycle property for a seed, with coverage figures, a classified failure and exact replay.

import type { InjectedHazard } from '@cspmu/kernel';
import fc from 'fast-check';
import { CoverageFigures } from './coverage.js';
import { freshSeed } from './jobs.js';
import { lifecycleProperty, type RunRecord } from './property.js';
import { classifyFailure, type ReportKind } from './report.js';

export { freshSeed };

export interface FuzzRunOptions {
  readonly runs: number;
  /** fast-check's seed; every choice of every run comes from it. Default: a fresh one, reported. */
  readonly seed?: number;
  /** Replay only this counterexample path (from a failure's report). */
  readonly path?: string;
  readonly maxSteps?: number;
  /** Hazards injected into every machine. */
  readonly inject?: readonly InjectedHazard[];
  /** Stop shrinking at the first failure (report it as found). */
  readonly noShrink?: boolean;
  /** A run that takes longer (a deadlock) fails, with its seed. */
  readonly timeoutMs?: number;
  /** Called after every run, passed or failed. */
  readonly onRun?: (run: RunRecord) => void;
}

export interface FuzzFailureReport {
  /** Which checker caught it. */
  readonly kind: ReportKind;
  readonly message: string;
  /** The path that replays the (shrunk) failing run with the same seed. */
  readonly path: string;
  /** fast-check's report: the counterexample, with the scheduler's decisions. */
  readonly report: string;
  /** How many runs passed before the first failure. */
  readonly runsBeforeFailure: number;
  /** The trace of the failing run as replayed last. */
  readonly trace: readonly string[];
}

export interface FuzzResult {
  readonly seed: number;
  /** Runs counted in the coverage figures (up to the first failure). */
  readonly runs: number;
  readonly coverage: CoverageFigures;
  readonly failure: FuzzFailureReport | undefined;
}

/** Run the lifecycle property `runs` times from `seed`; coverage counts every run up to the first failure. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzResult> {
  const seed = o.seed ?? freshSeed();
  const coverage = new CoverageFigures();
  let failedAt: number | undefined;
  const result = await fc.check(
    lifecycleProperty({
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
      ...(o.inject ? { inject: o.inject } : {}),
      onRun: (run) => {
        if (failedAt === undefined) {
          coverage.add(run.coverage);
          if (run.failed) failedAt = coverage.runs - 1;
        }
        o.onRun?.(run);
      },
    }),
    {
      numRuns: o.runs,
      seed,
      ...(o.path ? { path: o.path } : {}),
      ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}),
      endOnFailure: o.noShrink ?? false,
    },
  );
  if (!result.failed) return { seed, runs: coverage.runs, coverage, failure: undefined };
  const error = result.errorInstance;
  // The last run fast-check made is the last shrink step tried, not always the counterexample: replay it for its trace.
  const replayed = await replayFuzz({
    seed,
    path: result.counterexamplePath!,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(o.inject ? { inject: o.inject } : {}),
  });
  return {
    seed,
    runs: coverage.runs,
    coverage,
    failure: {
      kind: classifyFailure(error),
      message: error instanceof Error ? error.message : String(error),
      path: result.counterexamplePath!,
      report: fc.defaultReportMessage(result) ?? 'failed',
      runsBeforeFailure: failedAt ?? 0,
      trace: replayed.trace,
    },
  };
}

export interface ReplayResult {
  readonly failed: boolean;
  readonly kind: ReportKind | undefined;
  readonly message: string | undefined;
  /** Steps, scheduling decisions and lifecycle events of the replayed run, in order. */
  readonly trace: readonly string[];
}

/** Replay one run from its seed and path, exactly: same steps, same interleaving, same outcome. */
export async function replayFuzz(o: { seed: number; path: string; maxSteps?: number; inject?: readonly InjectedHazard[] }): Promise<ReplayResult> {
  let trace: readonly string[] = [];
  const result = await fc.check(
    lifecycleProperty({
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
      ...(o.inject ? { inject: o.inject } : {}),
      onRun: (run) => {
        trace = run.trace;
      },
    }),
    { numRuns: 1, seed: o.seed, path: o.path, endOnFailure: true },
  );
  const error = result.errorInstance;
  return {
    failed: result.failed,
    kind: result.failed ? classifyFailure(error) : undefined,
    message: result.failed ? (error instanceof Error ? error.message : String(error)) : undefined,
    trace,
  };
}
