// perf_event_open's checks in the kernel's order: which run before the PMU's event_init and which after, with their errno values.

import { KernelError, kerr } from '@cspmu/kernel';
import { expect } from 'chai';
import { PERF_PMU_CAP_NO_EXCLUDE, PERF_PMU_CAP_NO_INTERRUPT, PERF_TYPE, type PerfEvent } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    return (e as KernelError).code;
  }
  return 'ok';
}

/** A PMU without an overflow interrupt that accepts sampling events in its event_init. */
class NoIrqPmu extends TestPmu {
  override readonly capabilities = PERF_PMU_CAP_NO_EXCLUDE | PERF_PMU_CAP_NO_INTERRUPT;
}

/** A PMU whose event_init refuses everything with EBUSY, whatever the type. */
class BusyPmu extends TestPmu {
  override eventInit(e: PerfEvent): void {
    this.calls.push(`init ${e.id}`);
    throw kerr('EBUSY', 'busy');
  }
}

describe('perf_event_open: the check table, in the kernel order', () => {
  it('try_module_get of a module that is gone: ENODEV, before event_init', async () => {
    const { core, clock, modules } = perfRig();
    const mod = await modules.registerBuiltin({ name: 'gone_mod', version: '1', apiVersion: 1, init() {}, exit() {} });
    const pmu = new TestPmu(clock, 2, mod);
    const type = core.register(pmu, 'gone_pmu');
    await modules.unload('gone_mod');
    expect(code(() => core.open({ type, config: 1n }, { cpu: 0 }))).to.equal('ENODEV');
    expect(pmu.calls).to.deep.equal([]);
  });

  it('cpu < 0 is not refused by the core before event_init: the PMU sees the event, then the uncore task check says EINVAL', () => {
    const { core, pmu, type } = perfRig();
    expect(code(() => core.open({ type, config: 1n }, { cpu: -1, pid: 42 }))).to.equal('EINVAL');
    expect(pmu.calls).to.deep.equal(['init 1']);
  });

  it('a task event on an uncore PMU: EINVAL after event_init (perf_event_alloc)', () => {
    const { core, pmu, type } = perfRig();
    const e = (() => {
      try {
        core.open({ type, config: 1n }, { cpu: 0, pid: 42 });
      } catch (err) {
        return err as KernelError;
      }
      throw new Error('expected EINVAL');
    })();
    expect(e.code).to.equal('EINVAL');
    expect(e.message).to.contain('uncore PMU: it counts per CPU, not per task');
    expect(pmu.calls).to.deep.equal(['init 1']);
  });

  it('exclude bits on a NO_EXCLUDE PMU: EINVAL after event_init; an event_init error comes first', () => {
    const { core, pmu, type } = perfRig();
    expect(code(() => core.open({ type, config: 1n, exclude_user: true }, { cpu: 0 }))).to.equal('EINVAL');
    expect(pmu.calls).to.deep.equal(['init 1']);
    pmu.initError = kerr('EOPNOTSUPP', 'no sampling');
    expect(code(() => core.open({ type, config: 1n, exclude_user: true }, { cpu: 0 }))).to.equal('EOPNOTSUPP');
  });

  it('sampling on a PMU with NO_INTERRUPT: EOPNOTSUPP after event_init, after the exclude check', () => {
    const { core, clock } = perfRig();
    const pmu = new NoIrqPmu(clock, 2);
    const type = core.register(pmu, 'noirq_pmu');
    expect(code(() => core.open({ type, config: 1n, sample_period: 1000 }, { cpu: 0 }))).to.equal('EOPNOTSUPP');
    expect(pmu.calls).to.deep.equal(['init 1']);
    expect(code(() => core.open({ type, config: 1n, sample_period: 1000, exclude_user: true }, { cpu: 0 }))).to.equal('EINVAL');
    expect(code(() => core.open({ type, config: 1n }, { cpu: 0 }))).to.equal('ok');
  });

  it('a generic type goes to each PMU in turn while they answer ENOENT; any other error ends the search', () => {
    const { core, clock, pmu } = perfRig();
    const taker = new TestPmu(clock, 2);
    core.register(taker, 'taker_pmu');
    // TestPmu says ENOENT for a type not its own, so a RAW event passes both and nobody takes it.
    expect(code(() => core.open({ type: PERF_TYPE.RAW, config: 1n }, { cpu: 0 }))).to.equal('ENOENT');
    expect([pmu.calls.length, taker.calls.length]).to.deep.equal([1, 1]);
    const { core: core2, clock: clock2, pmu: first } = perfRig();
    const busy = new BusyPmu(clock2, 2);
    const after = new TestPmu(clock2, 2);
    core2.register(busy, 'busy_pmu');
    core2.register(after, 'after_pmu');
    expect(code(() => core2.open({ type: PERF_TYPE.RAW, config: 1n }, { cpu: 0 }))).to.equal('EBUSY');
    expect([first.calls.length, busy.calls.length, after.calls.length]).to.deep.equal([1, 1, 0]);
  });

  it('the CPU-wide permission check (perf_allow_cpu) comes after event_init; the kernel-counting one (perf_allow_kernel) before', () => {
    const { core, pmu, type } = perfRig();
    const user = { name: 'alice', capabilities: [] as const };
    core.paranoid = 1;
    expect(code(() => core.open({ type, config: 1n }, { cpu: 0, caller: user }))).to.equal('EACCES');
    expect(pmu.calls).to.deep.equal(['init 1']);
    core.paranoid = 2;
    expect(code(() => core.open({ type, config: 1n }, { cpu: 0, caller: user }))).to.equal('EACCES');
    expect(pmu.calls).to.deep.equal(['init 1']);
  });

  it('an offline CPU: ENODEV after event_init, for the CPU event_init left the event on', () => {
    const { kernel, core, pmu, type } = perfRig();
    kernel.cpus.cpuDown(2);
    expect(code(() => core.open({ type, config: 1n }, { cpu: 2 }))).to.equal('ENODEV');
    expect(pmu.calls).to.deep.equal(['init 1']);
  });

  it('a CPU that does not exist, and cpu -1 without a task: EINVAL before event_init', () => {
    const { core, pmu, type } = perfRig();
    expect(code(() => core.open({ type, config: 1n }, { cpu: 99 }))).to.equal('EINVAL');
    expect(code(() => core.open({ type, config: 1n }, { cpu: -1, pid: -1 }))).to.equal('EINVAL');
    expect(pmu.calls).to.deep.equal([]);
  });

  it('a cpu or pid that is not a whole number of -1 or more: EINVAL naming it, before event_init', () => {
    const { core, pmu, type } = perfRig();
    const message = (target: object) => {
      try {
        core.open({ type, config: 1n }, target as { cpu: number });
      } catch (e) {
        expect(e).to.be.instanceOf(KernelError);
        return (e as KernelError).message;
      }
      return 'ok';
    };
    const badCpu = (v: string) => `EINVAL: cpu must be -1 or a CPU number, got ${v}`;
    const badPid = (v: string) => `EINVAL: pid must be -1 or a process id, got ${v}`;
    // Each alone: with a task (pid 7), so that only the named field is wrong.
    expect(message({ cpu: -2 })).to.equal(badCpu('-2'));
    expect(message({ cpu: -2, pid: 7 })).to.equal(badCpu('-2'));
    expect(message({ cpu: 0.5 })).to.equal(badCpu('0.5'));
    expect(message({ cpu: Number.NaN, pid: 7 })).to.equal(badCpu('NaN'));
    expect(message({ cpu: 0, pid: -2 })).to.equal(badPid('-2'));
    expect(message({ cpu: -1, pid: -2 })).to.equal(badPid('-2'));
    expect(message({ cpu: 0, pid: 1.5 })).to.equal(badPid('1.5'));
    expect(message({ cpu: -1, pid: 7.5 })).to.equal(badPid('7.5'));
    expect(pmu.calls).to.deep.equal([]);
    expect(core.liveEvents()).to.have.length(0);
  });
});
