// Fuzzing on every core, the fuzzing side: run chunks of seeded runs in this process, as a worker taking them from its parent or all of them with one job.
import { GcCounter } from './cpu-report.js';
import { type Chunk, ChunkTally, type CombinedResult, type JobOptions, type ParentMessage, type WorkerMessage } from './jobs.js';
import { runFuzz } from './runner.js';

function runChunk(chunk: Chunk, o: JobOptions, onRun: () => void) {
  return runFuzz({ runs: chunk.runs, seed: chunk.seed, maxSteps: o.maxSteps, inject: o.inject, timeoutMs: o.timeoutMs, onRun });
}

/** The body of a worker process: ask for chunks, run each, report progress every few runs and each chunk's result, until told to stop. */
export async function workerMain(o: JobOptions): Promise<void> {
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  const gc = o.cpuReport ? new GcCounter() : undefined;
  await new Promise<void>((stopped) => {
    process.on('message', async (m: ParentMessage) => {
      if (m.type === 'stop') {
        if (gc) await send({ type: 'cpu', cpu: gc.stop() ?? null });
        return stopped();
      }
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
