// Fuzzing on every core: worker processes, each with its own seed, combined progress and figures.
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { InjectedHazard } from '@cspmu/kernel';
import { CoverageFigures, type CoverageName } from './coverage.js';
import { type FuzzFailureReport, runFuzz } from './runner.js';

export interface JobPlan {
  readonly runs: number;
  readonly seed: number;
  readonly maxSteps: number;
  readonly inject: readonly InjectedHazard[];
  readonly timeoutMs: number;
}

/** What a worker sends its parent. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly done: number }
  | {
      readonly type: 'result';
      readonly seed: number;
      readonly runs: number;
      readonly counts: Record<CoverageName, number>;
      readonly failure: FuzzFailureReport | undefined;
    };

export interface CombinedResult {
  readonly coverage: CoverageFigures;
  readonly seeds: readonly number[];
  /** The first failure, with the seed that finds it. */
  readonly failure: (FuzzFailureReport & { readonly seed: number }) | undefined;
}

/** A short digest of a run's trace: equal digests, equal runs. */
export function traceDigest(trace: readonly string[]): string {
  return createHash('sha256').update(trace.join('\n')).digest('hex').slice(0, 16);
}

/** Split `runs` over `jobs` workers, worker i taking seed `seed + i`. */
export function planJobs(runs: number, jobs: number, seed: number, rest: Omit<JobPlan, 'runs' | 'seed'>): JobPlan[] {
  const n = Math.max(1, Math.min(jobs, runs));
  return Array.from({ length: n }, (_, i) => ({ ...rest, runs: Math.floor(runs / n) + (i < runs % n ? 1 : 0), seed: (seed + i) | 0 }));
}

/** The body of a worker process: run its plan, report progress every few runs and the result at the end. */
export async function workerMain(plan: JobPlan): Promise<void> {
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  let done = 0;
  let reported = 0;
  const r = await runFuzz({
    runs: plan.runs,
    seed: plan.seed,
    maxSteps: plan.maxSteps,
    inject: plan.inject,
    timeoutMs: plan.timeoutMs,
    onRun: () => {
      done++;
      if (done - reported >= 25) {
        reported = done;
        void send({ type: 'progress', done });
      }
    },
  });
  await send({ type: 'progress', done: r.runs });
  await send({ type: 'result', seed: r.seed, runs: r.runs, counts: r.coverage.counts, failure: r.failure });
}

/**
 * Run the plans in worker processes (this same script with `--worker`),
 * calling `progress` with the total runs done. On the first failure the
 * other workers are stopped.
 */
export async function runJobs(script: string, plans: readonly JobPlan[], progress: (done: number) => void): Promise<CombinedResult> {
  const coverage = new CoverageFigures();
  const done = new Array<number>(plans.length).fill(0);
  const children: ChildProcess[] = [];
  let failure: CombinedResult['failure'];
  await Promise.all(
    plans.map(
      (plan, i) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(script, ['--worker', JSON.stringify(plan)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          children.push(child);
          let finished = false;
          child.on('message', (m: WorkerMessage) => {
            if (m.type === 'progress') {
              done[i] = m.done;
              progress(done.reduce((a, b) => a + b, 0));
              return;
            }
            finished = true;
            coverage.merge({ runs: m.runs, counts: m.counts });
            if (m.failure && !failure) {
              failure = { ...m.failure, seed: m.seed };
              for (const c of children) if (c !== child && c.exitCode === null) c.kill();
            }
          });
          child.on('exit', (code, signal) => {
            if (finished || failure) resolve();
            else reject(new Error(`fuzz worker ${i} (seed ${plan.seed}) exited with ${signal ?? `code ${code}`} before reporting`));
          });
        }),
    ),
  );
  return { coverage, seeds: plans.map((p) => p.seed), failure };
}
