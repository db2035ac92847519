// Fuzzing on every core, the parent's side: the runs cut into seeded chunks, handed to worker processes as they free up, with combined progress and figures.
// It imports nothing of the emulator, so the parent starts its workers within milliseconds and stays light while they fuzz.
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { InjectedHazard } from '@cspmu/kernel/inject';
import { CoverageFigures, type CoverageName } from './coverage.js';
import type { ProcessCpu } from './cpu-report.js';
import type { FuzzFailureReport } from './runner.js';
import { DEFAULT_WORKER_SILENCE_MS, heartbeatEvery, REAL_CLOCK, SilenceWatch, silentWorker, type WatchClock, WorkerError } from './watch.js';

/** What every chunk of one fuzz run shares. */
export interface JobOptions {
  readonly maxSteps: number;
  readonly inject: readonly InjectedHazard[];
  readonly timeoutMs: number;
  /** Each worker reports its threads' CPU time and its garbage collections when it stops (--cpu-report). */
  readonly cpuReport?: boolean;
  /** A worker that sends nothing, not even its heartbeat, for this long is killed and the fuzz fails (default DEFAULT_WORKER_SILENCE_MS). */
  readonly silenceMs?: number;
}

/** A share of the runs: `runs` runs of fast-check from `seed` (chunk k of a run from seed s uses s + k). */
export interface Chunk {
  readonly index: number;
  readonly seed: number;
  readonly runs: number;
}

/** No chunk is bigger: a chunk's start (one fast-check setup, one message each way) is then nothing beside its runs. */
export const MAX_CHUNK_RUNS = 100;
/** No chunk is smaller, unless fewer runs are left. */
export const MIN_CHUNK_RUNS = 5;
/** A chunk is at most this share of the runs still unplanned, so the last chunks shrink and no process idles long at the end. */
const SHARE_OF_REMAINING = 16;

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

/**
 * Chunks a worker holds at once: the one it runs and the next. A worker that
 * held one would wait, after each chunk, for its parent to be scheduled and
 * answer; with every core fuzzing, the parent shares a core with a worker.
 */
export const CHUNKS_IN_HAND = 2;

/**
 * What a worker sends its parent (heartbeats and results name the chunk they are about). The heartbeat, sent every
 * heartbeatEvery(silence) ms, carries the progress too: `done` runs of chunk `index` (-1 between chunks).
 */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'heartbeat'; readonly index: number; readonly done: number }
  | {
      readonly type: 'result';
      readonly index: number;
      readonly runs: number;
      readonly counts: Record<CoverageName, number>;
      readonly failure: FuzzFailureReport | undefined;
    }
  | { readonly type: 'cpu'; readonly cpu: ProcessCpu | null };

/** What a parent sends a worker: one more chunk to run after those it holds, or stop (finish the chunk running, start no other). */
export type ParentMessage = { readonly type: 'chunk'; readonly chunk: Chunk } | { readonly type: 'stop' };

export interface CombinedResult {
  readonly coverage: CoverageFigures;
  readonly seeds: readonly number[];
  /** The first failure, with the seed that finds it. */
  readonly failure: (FuzzFailureReport & { readonly seed: number }) | undefined;
  /** With `cpuReport`, each worker's figures (undefined where it had no per-thread times); none when the runs were made in this process. */
  readonly workersCpu?: readonly (ProcessCpu | undefined)[];
}

/** A seed from nothing but the wall clock, when none is given (it is printed, so the run can be repeated). */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) | 0;
}

/** A short digest of a run's trace: equal digests, equal runs. */
export function traceDigest(trace: readonly string[]): string {
  return createHash('sha256').update(trace.join('\n')).digest('hex').slice(0, 16);
}

/**
 * Cut `runs` into chunks, chunk k seeded `seed + k`: each a sixteenth of the
 * runs still unplanned, between MIN_CHUNK_RUNS and MAX_CHUNK_RUNS, so the
 * chunks shrink towards the end. The plan depends on nothing but the runs and
 * the seed: any number of jobs runs exactly the same runs.
 */
export function planChunks(runs: number, seed: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let left = runs; left > 0; ) {
    const size = Math.min(left, Math.max(MIN_CHUNK_RUNS, Math.min(MAX_CHUNK_RUNS, Math.ceil(left / SHARE_OF_REMAINING))));
    chunks.push({ index: chunks.length, seed: (seed + chunks.length) | 0, runs: size });
    left -= size;
  }
  return chunks;
}

/** Combines chunk results and progress in chunk terms, whichever process ran them. */
export class ChunkTally {
  readonly coverage = new CoverageFigures();
  failure: CombinedResult['failure'];
  private readonly doneIn = new Map<number, number>();
  private total = 0;

  constructor(private readonly progress: (done: number) => void) {}

  /** `done` runs of `chunk` have finished. */
  report(chunk: Chunk, done: number): void {
    this.total += done - (this.doneIn.get(chunk.index) ?? 0);
    this.doneIn.set(chunk.index, done);
    this.progress(this.total);
  }

  /** A chunk finished: its figures, and its failure if it is the first. */
  finish(chunk: Chunk, runs: number, counts: Record<CoverageName, number>, failure: FuzzFailureReport | undefined): void {
    this.coverage.merge({ runs, counts });
    this.report(chunk, chunk.runs);
    if (failure && !this.failure) this.failure = { ...failure, seed: chunk.seed };
  }
}

/**
 * Run the chunks on `jobs` worker processes (`script`, given the options and
 * its number), each holding CHUNKS_IN_HAND chunks and given the next as it
 * finishes one, calling `progress` with the total runs done; this process only
 * hands out chunks and adds up. On the first failure no more chunks are handed
 * out and the workers are stopped; the failing worker stops itself after its
 * result, without starting the chunk it holds next. A worker silent for
 * `o.silenceMs` (by `clock`) is killed, and the run fails with a WorkerError
 * naming it and its chunk; on any error every worker still running is killed.
 */
export async function runJobs(
  script: string,
  chunks: readonly Chunk[],
  jobs: number,
  o: JobOptions,
  progress: (done: number) => void,
  clock: WatchClock = REAL_CLOCK,
): Promise<CombinedResult> {
  const tally = new ChunkTally(progress);
  const queue = [...chunks];
  const children: ChildProcess[] = [];
  // The chunks sent to each worker and not yet finished, in the order it runs them.
  const held: Chunk[][] = [];
  const workersCpu: (ProcessCpu | undefined)[] = [];
  const take = () => (tally.failure ? undefined : queue.shift());
  const execArgv = [...process.execArgv, ...workerFlags(jobs, availableParallelism())];
  const silenceMs = o.silenceMs ?? DEFAULT_WORKER_SILENCE_MS;
  const watch = new SilenceWatch(clock, silenceMs);
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const workers = Array.from(
    { length: Math.min(jobs, chunks.length) },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(script, [JSON.stringify(o), String(i + 1)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
        children.push(child);
        watch.heardFrom(i);
        child.on('error', (e) => (tally.failure ? resolve() : reject(e)));
        const mine: Chunk[] = (held[i] = []);
        let told = false;
        const stop = () => {
          told = true;
          child.send({ type: 'stop' });
        };
        const topUp = () => {
          for (let c = mine.length < CHUNKS_IN_HAND ? take() : undefined; c; c = mine.length < CHUNKS_IN_HAND ? take() : undefined) {
            mine.push(c);
            child.send({ type: 'chunk', chunk: c });
          }
          if (mine.length === 0 || tally.failure) stop();
        };
        child.on('message', (m: WorkerMessage) => {
          watch.heardFrom(i);
          if (m.type === 'ready') return topUp();
          if (m.type === 'cpu') return void workersCpu.push(m.cpu ?? undefined);
          if (m.type === 'heartbeat' && m.index < 0) return;
          const current = mine[0];
          if (!current || current.index !== m.index) {
            // A worker runs its chunks in the order they were sent: anything else is a broken worker, not a result to guess at.
            reject(new Error(`fuzz worker ${i + 1} reported on chunk ${m.index} while it was to run chunk ${current?.index ?? '(none)'}`));
            return void child.kill();
          }
          if (m.type === 'heartbeat') return tally.report(current, m.done);
          mine.shift();
          const hadFailed = tally.failure !== undefined;
          tally.finish(current, m.runs, m.counts, m.failure);
          if (!hadFailed && tally.failure) for (const c of children) if (c !== child && c.exitCode === null) c.kill();
          if (child.exitCode === null && !child.killed && !told) topUp();
        });
        // 'close', not 'exit': a child's exit can be reaped before its last IPC messages are read; close waits for the channel too.
        // A worker that ends before it is told to stop (a crash at start-up, say) fails the fuzz: its chunks would otherwise go unrun, unreported.
        child.on('close', (code, signal) => {
          watch.ended(i);
          const how = signal ?? `code ${code}`;
          const current = mine[0];
          if (tally.failure || (told && current === undefined)) resolve();
          else if (current)
            reject(new WorkerError(`fuzz worker ${i + 1} exited with ${how} while running chunk ${current.index} (seed ${current.seed})`, i + 1, current));
          else reject(new WorkerError(`fuzz worker ${i + 1} exited with ${how} before it was told to stop`, i + 1, undefined));
        });
      }),
  );
  const stopWatching = clock.every(heartbeatEvery(silenceMs), () => {
    const i = watch.silent();
    if (i !== undefined) fail(silentWorker(i + 1, silenceMs, held[i]?.[0]));
  });
  try {
    await Promise.race([Promise.all(workers), failed]);
  } catch (e) {
    // A worker that fails the fuzz leaves the others nothing to do: none outlives the run, a silent one least of all.
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    throw e;
  } finally {
    stopWatching();
  }
  return { coverage: tally.coverage, seeds: chunks.map((c) => c.seed), failure: tally.failure, ...(o.cpuReport ? { workersCpu } : {}) };
}
