// Fuzzing on every core: the runs cut into seeded chunks, handed to whichever process is free (the main one included), with combined progress and figures.
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { InjectedHazard } from '@cspmu/kernel';
import { CoverageFigures, type CoverageName } from './coverage.js';
import { type FuzzFailureReport, runFuzz } from './runner.js';

/** What every chunk of one fuzz run shares. */
export interface JobOptions {
  readonly maxSteps: number;
  readonly inject: readonly InjectedHazard[];
  readonly timeoutMs: number;
}

/** A share of the runs: `runs` runs of fast-check from `seed` (chunk k of a run from seed s uses s + k). */
export interface Chunk {
  readonly index: number;
  readonly seed: number;
  readonly runs: number;
}

/** No chunk is bigger: small enough that processes finish together, big enough that a chunk's start costs nothing. */
export const MAX_CHUNK_RUNS = 100;
/** At least this many chunks per process, so one that started late (a worker's start-up) still gets its share. */
const CHUNKS_PER_JOB = 4;

/**
 * V8 flags for the worker processes. When the jobs take every core, the
 * parallel and concurrent GC threads of one job run on a core another job
 * needs (a single fuzz job spends about a third of its CPU time off its main
 * thread); on its own thread the same GC costs fewer CPU seconds in all. With
 * a core to spare, the threads use it.
 */
export function workerFlags(jobs: number, cores: number): string[] {
  return jobs >= cores ? ['--single-threaded-gc'] : [];
}

/** What a worker sends its parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly done: number }
  | { readonly type: 'result'; readonly runs: number; readonly counts: Record<CoverageName, number>; readonly failure: FuzzFailureReport | undefined };

/** What a parent sends a worker: the next chunk, or stop. */
export type ParentMessage = { readonly type: 'chunk'; readonly chunk: Chunk } | { readonly type: 'stop' };

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

/** Cut `runs` into chunks for `jobs` processes: at least CHUNKS_PER_JOB per process, none over MAX_CHUNK_RUNS, chunk k seeded `seed + k`. */
export function planChunks(runs: number, jobs: number, seed: number): Chunk[] {
  const size = Math.max(1, Math.min(MAX_CHUNK_RUNS, Math.ceil(runs / (Math.max(1, jobs) * CHUNKS_PER_JOB))));
  const chunks: Chunk[] = [];
  for (let done = 0; done < runs; done += size) chunks.push({ index: chunks.length, seed: (seed + chunks.length) | 0, runs: Math.min(size, runs - done) });
  return chunks;
}

function runChunk(chunk: Chunk, o: JobOptions, onRun: () => void) {
  return runFuzz({ runs: chunk.runs, seed: chunk.seed, maxSteps: o.maxSteps, inject: o.inject, timeoutMs: o.timeoutMs, onRun });
}

/** The body of a worker process: ask for chunks, run each, report progress every few runs and each chunk's result, until told to stop. */
export async function workerMain(o: JobOptions): Promise<void> {
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  await new Promise<void>((stopped) => {
    process.on('message', async (m: ParentMessage) => {
      if (m.type === 'stop') return stopped();
      let done = 0;
      const r = await runChunk(m.chunk, o, () => {
        if (++done % 25 === 0) void send({ type: 'progress', done });
      });
      await send({ type: 'result', runs: r.runs, counts: r.coverage.counts, failure: r.failure });
    });
    void send({ type: 'ready' });
  });
  process.disconnect?.();
}

/**
 * Run the chunks on `jobs` processes: this one and `jobs - 1` workers (this
 * same script with `--worker`), each taking the next chunk when it is free,
 * calling `progress` with the total runs done. On the first failure no more
 * chunks are handed out and the workers are stopped.
 */
export async function runJobs(
  script: string,
  chunks: readonly Chunk[],
  jobs: number,
  o: JobOptions,
  progress: (done: number) => void,
): Promise<CombinedResult> {
  const coverage = new CoverageFigures();
  const queue = [...chunks];
  const doneIn = new Map<number, number>();
  const children: ChildProcess[] = [];
  let failure: CombinedResult['failure'];
  const report = (chunk: Chunk, done: number) => {
    doneIn.set(chunk.index, done);
    let total = 0;
    for (const d of doneIn.values()) total += d;
    progress(total);
  };
  const take = () => (failure ? undefined : queue.shift());
  const finish = (chunk: Chunk, runs: number, counts: Record<CoverageName, number>, f: FuzzFailureReport | undefined) => {
    coverage.merge({ runs, counts });
    report(chunk, chunk.runs);
    if (f && !failure) {
      failure = { ...f, seed: chunk.seed };
      for (const c of children) if (c.exitCode === null) c.kill();
    }
  };
  const local = (async () => {
    for (let chunk = take(); chunk; chunk = take()) {
      let done = 0;
      const c = chunk;
      const r = await runChunk(c, o, () => report(c, ++done));
      finish(c, r.runs, r.coverage.counts, r.failure);
    }
  })();
  const workers = Array.from(
    { length: Math.min(jobs, chunks.length) - 1 },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(script, ['--worker', JSON.stringify(o)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          execArgv: [...process.execArgv, ...workerFlags(jobs, availableParallelism())],
        });
        children.push(child);
        child.on('error', (e) => (failure ? resolve() : reject(e)));
        let current: Chunk | undefined;
        const next = () => {
          current = take();
          child.send(current ? { type: 'chunk', chunk: current } : { type: 'stop' });
        };
        child.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') return next();
          if (!current) return;
          if (m.type === 'progress') return report(current, m.done);
          finish(current, m.runs, m.counts, m.failure);
          if (child.exitCode === null && !child.killed) next();
          else current = undefined;
        });
        child.on('exit', (code, signal) => {
          if (current === undefined || failure) resolve();
          else reject(new Error(`fuzz worker ${i + 1} exited with ${signal ?? `code ${code}`} while running chunk ${current.index} (seed ${current.seed})`));
        });
      }),
  );
  await Promise.all([local, ...workers]);
  return { coverage, seeds: chunks.map((c) => c.seed), failure };
}
