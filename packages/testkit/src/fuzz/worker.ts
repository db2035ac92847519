// Fuzzing on every core, the fuzzing side: run chunks of seeded runs in this process, as a worker taking them from its parent or all of them with one job.
import { GcCounter } from './cpu-report.js';
import { type Chunk, ChunkTally, type CombinedResult, type JobOptions, type ParentMessage, type WorkerMessage } from './jobs.js';
import { runFuzz } from './runner.js';
import { DEFAULT_WORKER_SILENCE_MS, heartbeatEvery } from './watch.js';

function runChunk(chunk: Chunk, o: JobOptions, onRun: () => void) {
  return runFuzz({ runs: chunk.runs, seed: chunk.seed, maxSteps: o.maxSteps, inject: o.inject, timeoutMs: o.timeoutMs, onRun });
}

/**
 * The chunks a worker holds, run one at a time in the order they came. Stop
 * drops those not started: after a failure elsewhere their runs are not wanted,
 * and at the end the parent stops a worker only once it holds none. A chunk
 * whose run found a failure stops the worker itself, so the chunk it holds next
 * never starts: one job stops at the first failure too.
 */
export class HeldChunks {
  private readonly waiting: Chunk[] = [];
  private stopping = false;
  private running = false;

  /** `run` runs one chunk and resolves true if it found a failure; `stopped` is called once, when stop has come and no chunk is running. */
  constructor(
    private readonly run: (chunk: Chunk) => Promise<boolean>,
    private readonly stopped: () => void,
  ) {}

  add(chunk: Chunk): void {
    if (this.stopping) return;
    this.waiting.push(chunk);
    if (!this.running) void this.drain();
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.waiting.length = 0;
    if (!this.running) this.stopped();
  }

  private async drain(): Promise<void> {
    this.running = true;
    for (let c = this.waiting.shift(); c; c = this.waiting.shift()) if (await this.run(c)) this.stop();
    this.running = false;
    if (this.stopping) this.stopped();
  }
}

/**
 * The body of a worker process: run the chunks its parent hands it, until told to stop, reporting each chunk's result, and
 * every heartbeatEvery(silence) ms a heartbeat with the progress of the chunk running (so a worker that stops sending is stuck).
 * A worker whose parent has gone ends at once: its runs have no one to report to.
 */
export async function workerMain(o: JobOptions): Promise<void> {
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  const gc = o.cpuReport ? new GcCounter() : undefined;
  process.on('disconnect', () => process.exit(0));
  let index = -1;
  let done = 0;
  const heartbeat = setInterval(() => void send({ type: 'heartbeat', index, done }), heartbeatEvery(o.silenceMs ?? DEFAULT_WORKER_SILENCE_MS));
  await new Promise<void>((stopped) => {
    const held = new HeldChunks(
      async (chunk) => {
        index = chunk.index;
        done = 0;
        const r = await runChunk(chunk, o, () => void done++);
        index = -1;
        done = 0;
        await send({ type: 'result', index: chunk.index, runs: r.runs, counts: r.coverage.counts, failure: r.failure });
        return r.failure !== undefined;
      },
      async () => {
        clearInterval(heartbeat);
        if (gc) await send({ type: 'cpu', cpu: gc.stop() ?? null });
        stopped();
      },
    );
    process.on('message', (m: ParentMessage) => (m.type === 'stop' ? held.stop() : held.add(m.chunk)));
    void send({ type: 'ready' });
  });
  process.removeAllListeners('disconnect');
  process.disconnect?.();
}

/** Run every chunk in this process, in order, stopping at the first failure: the same runs as any number of workers would make. */
export async function runChunksHere(chunks: readonly Chunk[], o: JobOptions, progress: (done: number) => void): Promise<CombinedResult> {
  const tally = new ChunkTally(progress);
  for (const chunk of chunks) {
    let done = 0;
    const r = await runChunk(chunk, o, () => tally.report(chunk, ++done));
    tally.finish(chunk, r.runs, r.coverage.counts, r.failure);
    if (tally.failure) break;
  }
  return { coverage: tally.coverage, seeds: chunks.map((c) => c.seed), failure: tally.failure };
}
