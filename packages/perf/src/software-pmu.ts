// The software PMU (type 1): cpu-clock and task-clock counting virtual nanoseconds while scheduled.
import { type Clock, kerr } from '@cspmu/kernel';
import { PERF_COUNT_SW, PERF_HES_STOPPED, PERF_HES_UPTODATE, PERF_TYPE } from './constants.js';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';

/** The software PMU (type 1): cpu-clock and task-clock count virtual nanoseconds while scheduled. */
export class SoftwarePmu implements Pmu {
  type = PERF_TYPE.SOFTWARE as number;
  readonly module = undefined;
  readonly capabilities = 0;
  readonly taskCtxNr = 'sw' as const;
  readonly attrGroups = [];
  readonly software = true;

  constructor(private readonly clock: Clock) {}

  eventInit(event: PerfEvent): void {
    if (event.attr.type !== PERF_TYPE.SOFTWARE) throw kerr('ENOENT', 'not a software event');
    const c = event.attr.config;
    if (c !== BigInt(PERF_COUNT_SW.CPU_CLOCK) && c !== BigInt(PERF_COUNT_SW.TASK_CLOCK)) {
      throw kerr('ENOENT', `software event ${c} is not emulated (cpu-clock and task-clock are)`);
    }
  }
  add(event: PerfEvent, flags: number): number {
    event.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
    if (flags & 1) this.start(event);
    return 0;
  }
  del(event: PerfEvent): void {
    this.stop(event);
  }
  start(event: PerfEvent): void {
    event.hw.prevLo = this.clock.now();
    event.hw.state = 0;
  }
  stop(event: PerfEvent): void {
    if (event.hw.state & PERF_HES_STOPPED) return;
    this.read(event);
    event.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
  }
  read(event: PerfEvent): void {
    if (event.hw.state & PERF_HES_STOPPED) return;
    const now = this.clock.now();
    event.count += now - event.hw.prevLo;
    event.hw.prevLo = now;
  }
  pmuEnable(): void {}
  pmuDisable(): void {}
}
