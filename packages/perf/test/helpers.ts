// Test helpers for the perf core: a small uncore PMU that records every callback, and a rig with it registered.
import { createKernel, kerr, type ManualClock, type ModuleHandle, type ModuleLoader, TOKENS } from '@cspmu/kernel';
import {
  type AttributeGroup,
  PERF_EF_START,
  PERF_HES_STOPPED,
  PERF_HES_UPTODATE,
  PERF_PMU_CAP_NO_EXCLUDE,
  PerfCore,
  type PerfEvent,
  type Pmu,
} from '../src/index.js';

/**
 * A small uncore PMU for testing the core: `counters` counters, every event
 * counting one per nanosecond of virtual time while started. It records
 * every callback so tests can assert the exact order.
 */
export class TestPmu implements Pmu {
  type = -1;
  readonly capabilities = PERF_PMU_CAP_NO_EXCLUDE;
  readonly taskCtxNr = 'invalid' as const;
  readonly calls: string[] = [];
  readonly used: (PerfEvent | undefined)[];
  readonly attrGroups: AttributeGroup[];
  initError: Error | undefined;

  constructor(
    private readonly clock: ManualClock,
    counters: number,
    public module: ModuleHandle | undefined = undefined,
    readonly associated: number[] = [0, 1, 2, 3],
  ) {
    this.used = new Array(counters).fill(undefined);
    this.attrGroups = [
      {
        name: 'format',
        attrs: [
          { name: 'event', show: () => 'config:0-15\n' },
          { name: 'port', show: () => 'config1:0-3\n' },
          { name: 'split', show: () => 'config2:1,5-7,40\n' },
        ],
      },
      {
        name: 'events',
        attrs: [
          { name: 'ticks', show: () => 'event=0x1\n' },
          { name: 'bytes', show: () => 'event=0x2,port=0x3\n' },
          { name: 'bytes.scale', show: () => '32\n' },
          { name: 'bytes.unit', show: () => 'Bytes\n' },
        ],
      },
      { attrs: [{ name: 'cpumask', show: () => '0\n' }] },
    ];
  }

  eventInit(e: PerfEvent): void {
    this.calls.push(`init ${e.id}`);
    if (e.attr.type !== this.type) throw kerr('ENOENT', 'not mine');
    if (this.initError) throw this.initError;
    if (!this.associated.includes(e.cpu)) throw kerr('EINVAL', `cpu ${e.cpu} not associated`);
  }
  add(e: PerfEvent, flags: number): number {
    const idx = this.used.indexOf(undefined);
    if (idx < 0) {
      this.calls.push(`add ${e.id} EAGAIN`);
      return -11;
    }
    this.used[idx] = e;
    e.hw.idx = idx;
    e.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
    this.calls.push(`add ${e.id}`);
    if (flags & PERF_EF_START) this.start(e);
    return 0;
  }
  del(e: PerfEvent): void {
    this.stop(e);
    this.used[e.hw.idx] = undefined;
    e.hw.idx = -1;
    this.calls.push(`del ${e.id}`);
  }
  start(e: PerfEvent): void {
    e.hw.prevLo = this.clock.now();
    e.hw.state = 0;
  }
  stop(e: PerfEvent): void {
    if (e.hw.state & PERF_HES_STOPPED) return;
    this.read(e);
    e.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
  }
  read(e: PerfEvent): void {
    if (e.hw.state & PERF_HES_STOPPED) return;
    const now = this.clock.now();
    e.count += now - e.hw.prevLo;
    e.hw.prevLo = now;
  }
  pmuEnable(): void {
    this.calls.push('enable');
  }
  pmuDisable(): void {
    this.calls.push('disable');
  }
}

export function perfRig(counters = 4) {
  const { kernel, container } = createKernel();
  const clock = kernel.clock as ManualClock;
  const modules = container.get<ModuleLoader>(TOKENS.Modules);
  const core = new PerfCore(kernel, modules);
  const pmu = new TestPmu(clock, counters);
  const type = core.register(pmu, 'test_pmu_0');
  return { kernel, clock, modules, core, pmu, type };
}
