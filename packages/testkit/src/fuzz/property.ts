// The lifecycle property: a generated machine and step sequence, interleaved by a scheduler seeded from the run itself.

import type { InjectedHazard } from '@cspmu/kernel';
import type { MachineOptions } from '@cspmu/system';
import { Machine } from '@cspmu/system';
import fc from 'fast-check';
import { type Step, stepArbitrary } from './commands.js';
import type { RunCoverage } from './coverage.js';
import { FuzzModel } from './model.js';
import { FUZZ_MUX_INTERVAL_MS, FUZZ_PLATFORM, fuzzPlatform } from './platform.js';
import { RunTrace } from './run-trace.js';
import { SeededScheduler } from './scheduler.js';

/** What one run did: its trace (steps, scheduling decisions, lifecycle events) and the paths it reached. */
export interface RunRecord {
  readonly trace: readonly string[];
  readonly coverage: RunCoverage;
  readonly failed: boolean;
}

export interface FuzzOptions {
  readonly maxSteps?: number;
  /** Hazards to inject into every machine. */
  readonly inject?: readonly InjectedHazard[];
  /** More machine options. */
  readonly machine?: Partial<MachineOptions>;
  /** Called after every run (passed or failed) with what it did. */
  readonly onRun?: (run: RunRecord) => void;
}

/** A run's record for onRun: its trace is written out only if read, from what the run recorded (nothing of the machine). */
class RecordedRun implements RunRecord {
  constructor(
    private readonly recorded: RunTrace,
    readonly coverage: RunCoverage,
    readonly failed: boolean,
  ) {}

  get trace(): readonly string[] {
    return this.recorded.lines();
  }
}

/** One generated run: the scheduler's seed, the bus latency of the tearing PMU, then steps, each maybe followed by one scheduling decision. */
export interface FuzzRun {
  readonly schedulerSeed: number;
  readonly latencyNs: number;
  readonly steps: readonly { readonly step: Step; readonly thenSchedule: boolean }[];
}

function runArbitrary(maxSteps: number): fc.Arbitrary<FuzzRun> {
  return fc.record({
    schedulerSeed: fc.integer(),
    latencyNs: fc.noBias(fc.integer({ min: 0, max: 8 })),
    steps: fc.array(fc.record({ step: stepArbitrary(), thenSchedule: fc.boolean() }), { maxLength: maxSteps, size: 'max' }),
  });
}

/**
 * Plugins are imported once per process before any run: a first import does
 * file I/O, whose completion the scheduler cannot order, so a run that
 * imported would not replay step for step in a fresh process.
 */
let warmedUp: Promise<void> | undefined;
function warmUp(): Promise<void> {
  warmedUp ??= Machine.boot({ platform: FUZZ_PLATFORM, installed: ['@cspmu/arm-generic'], plugins: ['@cspmu/arm-generic'] }).then(() => undefined);
  return warmedUp;
}

/** Let the scheduler release every waiting task until the machine has settled. */
async function drain(s: SeededScheduler, model: FuzzModel): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    let done = false;
    const all = Promise.all([...model.inflight, model.m.settle()]).finally(() => {
      done = true;
    });
    for (let idle = 0; !done; ) {
      if (s.count() > 0) {
        idle = 0;
        await s.releaseOne();
      } else {
        await new Promise((r) => setImmediate(r));
        if (++idle > 10000) throw new Error('the machine did not settle: tasks wait on something nobody will release (a deadlock?)');
      }
    }
    await all;
    model.inflight.length = 0;
    if (s.count() === 0 && model.inflight.length === 0) return;
  }
  throw new Error('the machine did not settle');
}

/** The machine options for a run: the fuzz platform at the run's latency and the injected hazards. */
function machineOptions(o: FuzzOptions, run: FuzzRun): MachineOptions {
  const inject = o.inject ?? [];
  return {
    platform: fuzzPlatform(run.latencyNs),
    installed: ['@cspmu/arm-generic'],
    // Nothing traces the fuzz machines: the smallest trace buffer (a 4 KiB one was 320 KB of typed arrays a boot).
    traceCapacity: 1,
    ...(inject.length > 0 ? { inject } : {}),
    ...o.machine,
  };
}

/**
 * The lifecycle property: any sequence of steps, with every mutex
 * acquisition, work item and module load interleaved by fast-check's
 * scheduler, keeps the invariants after every step and at rest. Every
 * choice comes from fast-check's seed, so a seed and path replay a run
 * step for step.
 */
export function lifecycleProperty(o: FuzzOptions = {}) {
  return fc.asyncProperty(runArbitrary(o.maxSteps ?? 25), async (run: FuzzRun) => {
    await warmUp();
    const trace = new RunTrace(run.schedulerSeed, run.latencyNs);
    const m = await Machine.boot(machineOptions(o, run));
    for (const { name, pmu } of m.perf.pmus())
      if (!pmu.software) m.kernel.sysfs.write(`/bus/event_source/devices/${name}/perf_event_mux_interval_ms`, String(FUZZ_MUX_INTERVAL_MS));
    const model = new FuzzModel(m);
    const life = m.kernel.lifecycle.record();
    const flushLife = () => {
      trace.lifecycle(life.records);
      life.records.length = 0;
    };
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => void rejections.push(r);
    process.on('unhandledRejection', onRejection);
    const s = new SeededScheduler(run.schedulerSeed, (task, waiting) => {
      flushLife();
      trace.decision(task, waiting);
    });
    let failed = true;
    try {
      // Through a local: V8 puts a function literal assigned straight to a property in the old generation, where it would keep the run's machine alive until a full GC.
      const yieldPoint = () => s.schedule();
      m.kernel.yieldPoint = yieldPoint;
      for (const { step, thenSchedule } of run.steps) {
        trace.step(step);
        step.run(model);
        if (thenSchedule) await s.releaseOne();
        flushLife();
        model.check();
      }
      trace.note('drain');
      await drain(s, model);
      model.check();
      trace.note('close all');
      for (const e of model.events.splice(0)) if (m.perf.isLive(e.event)) model.closing(e.device, m.perf.close(e.event));
      await drain(s, model);
      flushLife();
      model.check();
      model.checkAtRest();
      if (rejections.length) throw new Error(`unhandled rejection: ${String(rejections[0])}`);
      failed = false;
    } finally {
      flushLife();
      life.stop();
      process.off('unhandledRejection', onRejection);
      m.kernel.yieldPoint = undefined;
      o.onRun?.(new RecordedRun(trace, { ...model.coverage.reached, raced: s.choices > 0 }, failed));
      // A passed run's machine is at rest and done with, so it can die young; a failed one may still have tasks running.
      if (!failed) m.release();
    }
  });
}
