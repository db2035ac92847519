import fc from 'fast-check';
import type { MachineOptions } from '@cspmu/system';
import { Machine } from '@cspmu/system';
import { FuzzModel } from './model.js';
import { FUZZ_PLATFORM } from './platform.js';
import { stepArbitraries, type Step } from './commands.js';

export interface FuzzOptions {
  readonly maxSteps?: number;
  /** Machine options (e.g. fault injection). */
  readonly machine?: Partial<MachineOptions>;
  readonly onRun?: () => void;
}

/** Let the scheduler release every waiting task until the machine has settled. */
async function drain(s: fc.Scheduler, model: FuzzModel): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    let done = false;
    const all = Promise.all([...model.inflight, model.m.settle()]).finally(() => {
      done = true;
    });
    for (let idle = 0; !done; ) {
      if (s.count() > 0) {
        idle = 0;
        await s.waitNext(1);
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

/**
 * The lifecycle property: any sequence of steps, with every mutex
 * acquisition, work item and module load interleaved by fast-check's
 * scheduler, keeps the invariants after every step and at rest.
 */
export function lifecycleProperty(o: FuzzOptions = {}) {
  return fc.asyncProperty(fc.scheduler(), fc.array(fc.oneof(...stepArbitraries()), { maxLength: o.maxSteps ?? 25 }), async (s, steps: Step[]) => {
    o.onRun?.();
    const m = await Machine.boot({ platform: FUZZ_PLATFORM, installed: ['@cspmu/arm-generic'], ...o.machine });
    // A longer rotation interval keeps seconds-long advances cheap; rotation itself is unchanged.
    for (const { name, pmu } of m.perf.pmus()) if (!pmu.software) m.kernel.sysfs.write(`/bus/event_source/devices/${name}/perf_event_mux_interval_ms`, '50');
    const model = new FuzzModel(m);
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => void rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      m.kernel.yieldPoint = () => s.schedule(Promise.resolve(), 'yield');
      for (const st of steps) {
        st.run(model);
        if (s.count() > 0 && Math.random() < 0.5) await s.waitNext(1);
        model.check();
      }
      await drain(s, model);
      model.check();
      for (const e of model.events.splice(0)) if (m.perf.liveEvents().includes(e.event)) m.perf.close(e.event);
      await drain(s, model);
      model.check();
      model.checkAtRest();
      if (rejections.length) throw new Error(`unhandled rejection: ${String(rejections[0])}`);
    } finally {
      process.off('unhandledRejection', onRejection);
      m.kernel.yieldPoint = undefined;
    }
  });
}
