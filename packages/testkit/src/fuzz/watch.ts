// The parent's watch on its fuzz workers: one that sends nothing, not even its heartbeat, for too long (a run stuck in a loop that never yields) is named.
import type { Chunk } from './jobs.js';

/** How long a worker may stay silent before it is killed, unless --worker-silence says otherwise. */
export const DEFAULT_WORKER_SILENCE_MS = 30000;
/** A worker sends a heartbeat this often (more often when the silence allowed is under four of these). */
export const HEARTBEAT_MS = 1000;

/** A worker's heartbeat period, and how often the parent looks for a silent worker: at least four in each silence allowed. */
export function heartbeatEvery(silenceMs: number): number {
  return Math.max(1, Math.min(HEARTBEAT_MS, Math.floor(silenceMs / 4)));
}

/** Time as the watch sees it: the real clock, or one a test moves. */
export interface WatchClock {
  now(): number;
  /** Call `tick` every `ms` until the function returned is called. */
  every(ms: number, tick: () => void): () => void;
}

export const REAL_CLOCK: WatchClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
};

/** A worker process failed the fuzz (it went silent, or ended while it held chunks): which one, and the chunk it was running if any. */
export class WorkerError extends Error {
  constructor(
    message: string,
    readonly worker: number,
    readonly chunk: Chunk | undefined,
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

/** The error for worker `worker` (counted from 1), silent for `silenceMs`, running `chunk` (undefined: it had not started one). */
export function silentWorker(worker: number, silenceMs: number, chunk: Chunk | undefined): WorkerError {
  const what = chunk ? `while running chunk ${chunk.index} (seed ${chunk.seed}, ${chunk.runs} runs)` : 'before it started a chunk';
  return new WorkerError(`fuzz worker ${worker} sent nothing for ${silenceMs} ms ${what}: killed`, worker, chunk);
}

/** When each worker was last heard from; a worker that has ended is no longer watched. */
export class SilenceWatch {
  private readonly heard: number[] = [];

  constructor(
    private readonly clock: WatchClock,
    private readonly silenceMs: number,
  ) {}

  heardFrom(worker: number): void {
    this.heard[worker] = this.clock.now();
  }

  ended(worker: number): void {
    this.heard[worker] = Number.POSITIVE_INFINITY;
  }

  /** The first worker, in start order, silent for `silenceMs` or longer. */
  silent(): number | undefined {
    const now = this.clock.now();
    const i = this.heard.findIndex((t) => now - t >= this.silenceMs);
    return i < 0 ? undefined : i;
  }
}
