// arm_cspmu's event_init check table, row by row, in the kernel's order with its errno values.

import { KernelError, kerr } from '@cspmu/kernel';
import { PERF_EVENT_STATE } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { expectCode } from './helpers/errors.js';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';

describe('arm_cspmu event_init: the check table', function () {
  this.timeout(60000);

  async function grace(): Promise<{ m: Machine; type: number }> {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    return { m, type: m.perf.pmuByName('arm_cspmu_cache_1')!.type };
  }

  it('1: another PMU type is ENOENT (a RAW event passes every arm_cspmu PMU)', async () => {
    const { m } = await grace();
    expectCode(() => m.perf.open({ type: 4, config: 0x2n }, { cpu: 0 }), 'ENOENT', 'no PMU handles type 4');
  });

  it('2: a sampling event is EOPNOTSUPP, before the task and CPU checks (sampling on a task gives EOPNOTSUPP)', async () => {
    const { m, type } = await grace();
    expectCode(() => m.perf.open({ type, config: 0x1a5n, sample_period: 1000 }, { cpu: 72 }), 'EOPNOTSUPP', 'does not support sampling');
    expectCode(() => m.perf.open({ type, config: 0x1a5n, sample_period: 1000 }, { cpu: -1, pid: 42 }), 'EOPNOTSUPP');
    expectCode(() => m.perf.open({ type, config: 0x1a5n, freq: true, sample_freq: 100 }, { cpu: 0, pid: 42 }), 'EOPNOTSUPP');
  });

  it('3: cpu < 0, or any event on a task, is EINVAL from the driver (before the core’s own uncore check)', async () => {
    const { m, type } = await grace();
    const uncore = 'EINVAL: arm_cspmu_cache_1 is an uncore PMU: per-task events are not supported; count system-wide (-a)';
    expect(expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: -1, pid: 42 }), 'EINVAL').message).to.equal(uncore);
    expect(expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: 72, pid: 42 }), 'EINVAL').message).to.equal(uncore);
    // The core refuses cpu -1 without a task before any event_init; called directly, the driver's own cpu < 0 test says the same.
    const inst = m.driver.instanceByName('arm_cspmu_cache_1')!;
    const [e] = m.open('arm_cspmu_cache_1/cycles/');
    const refs = inst.inUseCount;
    expect(expectCode(() => inst.eventInit({ ...e!, cpu: -1, task: -1 } as never), 'EINVAL').message).to.equal(uncore);
    expect(inst.inUseCount).to.equal(refs);
  });

  it('4: a CPU not in associated_cpus is EINVAL', async () => {
    const { m, type } = await grace();
    expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: 0 }), 'EINVAL', 'cpu 0 is not associated with arm_cspmu_cache_1 (associated_cpus 72-143)');
  });

  it('5: the event moves to the active CPU; with no online associated CPU it is EINVAL (not the core’s ENODEV)', async () => {
    const { m, type } = await grace();
    const e = m.perf.open({ type, config: 0x1a5n }, { cpu: 100 });
    expect(e.cpu).to.equal(72);
    m.perf.close(e);
    for (let c = 72; c < 144; c++) m.kernel.cpus.cpuDown(c);
    expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: 100 }), 'EINVAL', 'has no online CPU');
    // With the active CPU offline an associated offline CPU is refused by the driver, not by the core's online check.
    expect(m.kernel.sysfs.read('/bus/event_source/devices/arm_cspmu_cache_1/cpumask')).to.equal('\n');
  });

  it('5b: an offline associated CPU is fine while another associated CPU is active: the event counts there', async () => {
    const { m, type } = await grace();
    m.kernel.cpus.cpuDown(100);
    const e = m.perf.open({ type, config: 0x1a5n }, { cpu: 100 });
    expect(e.cpu).to.equal(72);
  });

  it('6: a group that fails validation is EINVAL, even when the backend’s validate_event said something else', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    await loadBuiltinBackend(
      m,
      scfBackend('picky_cspmu', {
        validateEvent: (_i, e) => {
          if (e.attr.config === 0x2n) throw kerr('EBUSY', 'event 0x2 is never allowed');
        },
      }),
    );
    const type = m.perf.pmuByName('test_scf_pmu_0')!.type;
    const leader = m.perf.open({ type, config: 1n }, { cpu: 0 });
    const err = expectCode(() => m.perf.open({ type, config: 2n }, { cpu: 0, group: leader }), 'EINVAL', 'event 0x2 is never allowed');
    expect(err).to.be.instanceOf(KernelError);
    // A leader on its own passes validation without a counter check.
    expect(m.perf.open({ type, config: 3n }, { cpu: 0 }).cpu).to.equal(0);
  });

  it('6b: a group led by another arm_cspmu PMU is refused by the driver’s own validation (EINVAL), before the core’s mixed-PMU check', async () => {
    const { m } = await grace();
    const leader = m.perf.open({ type: m.perf.pmuByName('arm_cspmu_cache_0')!.type, config: 0x1dn }, { cpu: 0 });
    const c2c = m.perf.pmuByName('arm_cspmu_acpi_NVDA2001_0')!;
    expectCode(
      () => m.perf.open({ type: c2c.type, config: 0x0n }, { cpu: 0, group: leader }),
      'EINVAL',
      "the group does not fit arm_cspmu_acpi_NVDA2001_0's counters or mixes PMUs",
    );
    expect(m.driver.instanceByName('arm_cspmu_acpi_NVDA2001_0')!.inUseCount).to.equal(0);
    expect(m.perf.liveEvents()).to.deep.equal([leader]);
  });

  it('7: success leaves hw.idx and the logical index at -1 and hw.config = event_type', async () => {
    const { m, type } = await grace();
    const e = m.perf.open({ type, config: 0x1a5n, disabled: true }, { cpu: 72 });
    expect([e.hw.idx, e.hw.extraIdx]).to.deep.equal([-1, -1]);
    expect(Number(e.hw.config)).to.equal(0x1a5);
  });

  it('add on a CPU outside associated_cpus (a context moved there) takes no counter: the group stays off, with one WARNING', async () => {
    const { m, type } = await grace();
    const pmu = m.perf.pmuByName('arm_cspmu_cache_1')!;
    const e = m.perf.open({ type, config: 0x1a5n }, { cpu: 100 });
    expect(e.state).to.equal(PERF_EVENT_STATE.ACTIVE);
    const inst = m.driver.instanceByName('arm_cspmu_cache_1')!;
    expect(inst.usedCounters()).to.have.length(1);
    const warnings = () =>
      m.kernel.log
        .atLeast('warn')
        .filter((r) => r.subsystem === 'arm_cspmu')
        .map((r) => r.message);
    expect(m.perf.migrateContext(pmu, 72, 0)).to.equal(1);
    expect(e.state).to.equal(PERF_EVENT_STATE.INACTIVE);
    expect(inst.usedCounters()).to.deep.equal([]);
    expect(m.perf.migrateContext(pmu, 0, 1)).to.equal(1);
    expect(e.state).to.equal(PERF_EVENT_STATE.INACTIVE);
    expect(warnings()).to.deep.equal(['WARNING: arm_cspmu_cache_1: add on cpu 0, which is not associated']);
    // Back on an associated CPU it counts again.
    expect(m.perf.migrateContext(pmu, 1, 72)).to.equal(1);
    expect(e.state).to.equal(PERF_EVENT_STATE.ACTIVE);
    expect(inst.usedCounters()).to.have.length(1);
  });
});
