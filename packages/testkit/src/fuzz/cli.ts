#!/usr/bin/env node
// npm run fuzz: lifecycle fuzzing on every core, with coverage figures and replayable failures.
// Only light modules are imported up front: with two or more jobs this process forks its workers at once and never loads the emulator,
// and the progress bar is loaded only for a terminal.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { kerr } from '@cspmu/kernel/errors';
import { INJECTED_HAZARDS, type InjectedHazard, parseInjectedHazards } from '@cspmu/kernel/inject';
import { Command, InvalidArgumentError } from 'commander';
import { type CombinedResult, freshSeed, type JobOptions, planChunks, runJobs, traceDigest } from './jobs.js';
import { DEFAULT_WORKER_SILENCE_MS, WorkerError } from './watch.js';

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
  return n;
};
const int32 = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new InvalidArgumentError(`a seed is a 32-bit integer, got '${v}'`);
  return n;
};

/** A whole number from `min` to `max`, or commander's error carrying an EINVAL message: `what` the option is, and what it got. */
const wholeNumber =
  (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(kerr('EINVAL', `${what}; got '${v}'`).message);
    return n;
  };
const silence = wholeNumber(
  `--worker-silence is the milliseconds a worker may send nothing before it is killed, a whole number from 1 to ${2 ** 31 - 1}`,
  1,
  2 ** 31 - 1,
);
const chunkIndex = wholeNumber("--chunk is a chunk's index, 0 or more", 0);

const program = new Command('cspmu-fuzz')
  .description('lifecycle model-based fuzzing of the arm_cspmu stack')
  .option('--runs <n>', 'number of runs', positive('--runs'), 1000)
  .option('--steps <n>', 'most steps per run', positive('--steps'), 25)
  .option('--seed <n>', 'fast-check seed (the runs are cut into chunks, chunk k using seed + k, whatever --jobs is)', int32)
  .option('--path <path>', 'replay this counterexample path of --seed, in this process')
  .option('--inject <hazard>', `boot every machine with a known bug, to see it caught: ${INJECTED_HAZARDS.join(', ')}`)
  .option(
    '--jobs <n>',
    'processes to fuzz on: 1 is this one, more are workers this one coordinates (default: the number of cores)',
    positive('--jobs'),
    availableParallelism(),
  )
  .option('--chunk <k>', 'with --seed: run only chunk k of the --runs runs from --seed, in this process (to replay the chunk of a failed worker)', chunkIndex)
  .option(
    '--worker-silence <ms>',
    'a worker that sends nothing, not even its heartbeat (each second), for this long is killed and the fuzz fails, naming its chunk',
    silence,
    DEFAULT_WORKER_SILENCE_MS,
  )
  .option('--trace', 'with --path: print the replayed run step by step')
  .option('--timeout <ms>', 'a run taking longer fails (a deadlock)', positive('--timeout'), 20000)
  .option('--cpu-report', "print each process's CPU time, its main threads against V8's helper threads, and the garbage collections per run")
  .parse();
const o = program.opts<{
  runs: number;
  steps: number;
  seed?: number;
  path?: string;
  inject?: string;
  jobs: number;
  chunk?: number;
  workerSilence: number;
  trace?: boolean;
  timeout: number;
  cpuReport?: boolean;
}>();

let inject: InjectedHazard[];
try {
  inject = [...parseInjectedHazards(o.inject === undefined ? [] : [o.inject])];
} catch (e) {
  process.stderr.write(`cspmu-fuzz: --inject: ${(e as Error).message}\n`);
  process.exit(2);
}
const injectArg = o.inject ? ` --inject ${o.inject}` : '';
const stepsArg = o.steps !== 25 ? ` --steps ${o.steps}` : '';

if (o.path !== undefined) {
  if (o.seed === undefined) {
    process.stderr.write('cspmu-fuzz: --path needs the --seed it came from\n');
    process.exit(2);
  }
  const { replayFuzz } = await import('./runner.js');
  const r = await replayFuzz({ seed: o.seed, path: o.path, maxSteps: o.steps, inject });
  if (o.trace) process.stdout.write(`${r.trace.join('\n')}\n`);
  process.stdout.write(`replayed seed ${o.seed} path ${o.path}: ${r.failed ? `${r.kind} report: ${r.message}` : 'passed'}\n`);
  process.stdout.write(`trace digest: ${traceDigest(r.trace)}\n`);
  process.exit(r.failed ? 1 : 0);
}

if (o.chunk !== undefined && o.seed === undefined) {
  process.stderr.write('cspmu-fuzz: --chunk needs the --seed (and --runs) its chunks were cut from\n');
  process.exit(2);
}
const seed = o.seed ?? freshSeed();
const jobOptions: JobOptions = {
  maxSteps: o.steps,
  inject,
  timeoutMs: o.timeout,
  silenceMs: o.workerSilence,
  ...(o.cpuReport ? { cpuReport: true } : {}),
};
const plan = planChunks(o.runs, seed);
if (o.chunk !== undefined && o.chunk >= plan.length) {
  process.stderr.write(
    `cspmu-fuzz: --chunk: ${kerr('EINVAL', `${o.runs} runs from seed ${seed} are cut into ${plan.length} chunks, 0 to ${plan.length - 1}; got ${o.chunk}`).message}\n`,
  );
  process.exit(2);
}
const chunks = o.chunk === undefined ? plan : [plan[o.chunk]!];
const total = chunks.reduce((n, c) => n + c.runs, 0);
const cliProgress = process.stderr.isTTY ? (await import('cli-progress')).default : undefined;
const bar = cliProgress
  ? new cliProgress.SingleBar({ stream: process.stderr, format: 'fuzzing {bar} {value}/{total} runs' }, cliProgress.Presets.shades_classic)
  : undefined;
bar?.start(total, 0);
let lastLogged = 0;
const progress = (done: number) => {
  bar?.update(Math.min(done, total));
  if (!bar && done - lastLogged >= Math.max(1, Math.floor(total / 20))) {
    lastLogged = done;
    process.stderr.write(`fuzzing: ${done}/${total} runs\n`);
  }
};

// Only with --cpu-report does the parent load the report (and, with one job, count its own garbage collections).
const cpuReport = o.cpuReport ? await import('./cpu-report.js') : undefined;
const gcHere = cpuReport && (o.jobs === 1 || chunks.length === 1) ? new cpuReport.GcCounter() : undefined;
let result: CombinedResult;
if (o.jobs === 1 || chunks.length === 1) {
  const { runChunksHere } = await import('./worker.js');
  result = await runChunksHere(chunks, jobOptions, progress);
} else {
  try {
    result = await runJobs(fileURLToPath(new URL('./worker-entry.js', import.meta.url)), chunks, o.jobs, jobOptions, progress);
  } catch (e) {
    bar?.stop();
    process.stderr.write(`cspmu-fuzz: ${(e as Error).message}\n`);
    if (e instanceof WorkerError && e.chunk) {
      const timeoutArg = o.timeout !== 20000 ? ` --timeout ${o.timeout}` : '';
      process.stderr.write(
        `replay that chunk in one process with: npm run fuzz -- --runs ${o.runs} --seed ${seed} --chunk ${e.chunk.index}${injectArg}${stepsArg}${timeoutArg}\n`,
      );
    }
    process.exit(1);
  }
}
bar?.stop();
if (cpuReport) {
  const here = gcHere ? gcHere.stop() : cpuReport.threadCpuSeconds();
  const parent = here && { scavenges: 0, markCompacts: 0, ...here };
  process.stdout.write(`${cpuReport.formatCpuReport(result.coverage.runs, parent, result.workersCpu ?? [])}\n`);
}

const seeds =
  o.chunk !== undefined
    ? `chunk ${o.chunk} of ${o.runs} runs from seed ${seed}: seed ${result.seeds[0]}`
    : result.seeds.length === 1
      ? `seed ${result.seeds[0]}`
      : `seeds ${result.seeds[0]}..${result.seeds.at(-1)}: ${result.seeds.length} chunks over ${Math.min(o.jobs, result.seeds.length)} ${Math.min(o.jobs, result.seeds.length) === 1 ? 'process' : 'processes'}`;
process.stdout.write(`${result.coverage.format()}\n`);
const f = result.failure;
if (f) {
  process.stdout.write(`\nFAILED: ${f.kind} report, found by seed ${f.seed} after ${f.runsBeforeFailure} passing runs\n`);
  process.stdout.write(`${f.message}\n\n${f.report}\n`);
  process.stdout.write(`trace digest: ${traceDigest(f.trace)}\n`);
  process.stdout.write(`replay with: npm run fuzz -- --seed ${f.seed} --path "${f.path}"${injectArg}${stepsArg} --trace\n`);
  process.exit(1);
}
const missed = result.coverage.missed();
if (missed.length > 0) process.stdout.write(`coverage below its goals: ${missed.join('; ')}\n`);
process.stdout.write(`${result.coverage.runs} runs passed (${seeds})\n`);
