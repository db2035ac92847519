// The public entry of @cspmu/testkit: the backend conformance suite and the lifecycle fuzzer.
export * from './conformance.js';
export * from './fuzz/commands.js';
export * from './fuzz/coverage.js';
export { formatCpuReport, GcCounter, type ProcessCpu, threadCpuSeconds } from './fuzz/cpu-report.js';
export { CHUNKS_IN_HAND, MAX_CHUNK_RUNS, MIN_CHUNK_RUNS, planChunks, runJobs, traceDigest, workerFlags } from './fuzz/jobs.js';
export * from './fuzz/model.js';
export * from './fuzz/platform.js';
export * from './fuzz/property.js';
export * from './fuzz/report.js';
export { RunTrace } from './fuzz/run-trace.js';
export * from './fuzz/runner.js';
export { SeededScheduler } from './fuzz/scheduler.js';
export { DEFAULT_WORKER_SILENCE_MS, HEARTBEAT_MS, heartbeatEvery, SilenceWatch, type WatchClock, WorkerError } from './fuzz/watch.js';
export { HeldChunks } from './fuzz/worker.js';
export { manyPmus } from './platforms.js';
