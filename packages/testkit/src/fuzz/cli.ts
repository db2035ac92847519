#!/usr/bin/env node
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import fc from 'fast-check';
import { INJECTED_HAZARDS, parseInjectedHazards } from '@cspmu/kernel';
import { lifecycleProperty } from './property.js';

const program = new Command('cspmu-fuzz')
  .description('lifecycle model-based fuzzing of the arm_cspmu stack')
  .option('--runs <n>', 'number of runs', '1000')
  .option('--steps <n>', 'most steps per run', '25')
  .option('--seed <n>', 'replay this seed')
  .option('--path <path>', 'replay this counterexample path')
  .option('--inject <hazard>', `boot every machine with a known bug, to see it caught: ${INJECTED_HAZARDS.join(', ')}`)
  .parse();
const o = program.opts<{ runs: string; steps: string; seed?: string; path?: string; inject?: string }>();
const runs = Number(o.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`cspmu-fuzz: --runs must be a positive integer, got '${o.runs}'\n`);
  process.exit(2);
}
let inject: ReturnType<typeof parseInjectedHazards>;
try {
  inject = parseInjectedHazards(o.inject === undefined ? [] : [o.inject]);
} catch (e) {
  process.stderr.write(`cspmu-fuzz: --inject: ${(e as Error).message}\n`);
  process.exit(2);
}
const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'fuzzing {bar} {value}/{total} runs' }, cliProgress.Presets.shades_classic) : undefined;
bar?.start(runs, 0);
let done = 0;
const result = await fc.check(
  lifecycleProperty({
    maxSteps: Number(o.steps),
    ...(inject.size ? { machine: { inject: [...inject] } } : {}),
    onRun: () => {
      done++;
      bar?.update(Math.min(done, runs));
      if (!bar && done % Math.max(1, Math.floor(runs / 20)) === 0) process.stderr.write(`fuzzing: ${done} runs\n`);
    },
  }),
  // A run that does not finish (a deadlock, a machine that never settles) fails too, with its seed.
  { numRuns: runs, timeout: 20000, ...(o.seed ? { seed: Number(o.seed) } : {}), ...(o.path ? { path: o.path } : {}), endOnFailure: false },
);
bar?.stop();
if (result.failed) {
  process.stdout.write(`${fc.defaultReportMessage(result) ?? 'failed'}\n`);
  const err = result.errorInstance as Error | undefined;
  if (err) process.stdout.write(`error: ${err.message}\n`);
  process.stdout.write(`replay with: npm run fuzz -- --runs ${runs} --seed ${result.seed} --path "${result.counterexamplePath}"\n`);
  process.exit(1);
}
process.stdout.write(`${runs} runs passed (seed ${result.seed})\n`);
