// Tests of the arm_cspmu driver on the Grace machine: generic fallback binding, exact counts, overflow folding, register sequences.
import { ARM_GENERIC_PLATFORM, ConstantRate } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { expectCode } from './helpers/errors.js';
import { MS, recordAccesses, SEC } from './helpers/machine.js';

describe('arm-cspmu driver: probe, counting and events', function () {
  this.timeout(60000);

  it('binds every Grace PMU to the generic fallback when only arm-generic is installed', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: ['@cspmu/arm-generic'] });
    expect(m.driver.bindings().map((b) => [b.device, b.pmu, b.backend])).to.deep.equal([
      ['arm-cs-arch-pmu.0', 'arm_cspmu_cache_0', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.1', 'arm_cspmu_acpi_NVDA2001_0', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.2', 'arm_cspmu_acpi_NVDA2002_0', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.3', 'arm_cspmu_acpi_NVDA2003_0', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.4', 'arm_cspmu_pcie_0', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.16', 'arm_cspmu_cache_1', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.17', 'arm_cspmu_acpi_NVDA2001_1', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.18', 'arm_cspmu_acpi_NVDA2002_1', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.19', 'arm_cspmu_acpi_NVDA2003_1', 'arm_cspmu_generic'],
      ['arm-cs-arch-pmu.20', 'arm_cspmu_pcie_1', 'arm_cspmu_generic'],
    ]);
    expect(m.modules.get('arm_generic_cspmu')?.state).to.equal('live');
    expect(m.bus.deferredDevices()).to.deep.equal([]);
    expect(m.kernel.log.atLeast('warn')).to.deep.equal([]);
  });

  it('counts cycles and events exactly as the workload says, across phases and low-word wraps', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: ['@cspmu/arm-generic'] });
    const wl = m.hardware.workload;
    m.advance(1234567);
    const scf = m.open('arm_cspmu_cache_0/event=0x1a5/,arm_cspmu_cache_0/event=0x1b1/,arm_cspmu_cache_0/event=0x1d/,arm_cspmu_cache_0/cycles/');
    const pcie = m.open('arm_cspmu_pcie_1/event=0x0,filter=0x5/,arm_cspmu_pcie_1/event=0x4,filter=0x200/');
    const t0 = m.clock.now();
    for (const step of [3 * MS, 7 * MS, 1.5 * SEC, 777]) m.advance(step);
    const t1 = m.clock.now();
    const exp = (label: string, event: number, filter = 0) => wl.expected({ label, event, filter, filter2: 0 }, t0, t1);
    expect(scf.map((e) => m.perf.read(e).value)).to.deep.equal([
      exp('scf0', 0x1a5),
      exp('scf0', 0x1b1),
      exp('scf0', 0x1d),
      new ConstantRate(1.5e9).at(t1) - new ConstantRate(1.5e9).at(t0),
    ]);
    const pcieCounts = pcie.map((e) => m.perf.read(e).value);
    expect(pcieCounts).to.deep.equal([exp('pcie1', 0x0, 0x5), exp('pcie1', 0x4, 0x200)]);
    // The PCIe counters are 64-bit without atomic access: their low words wrapped many times.
    expect(pcieCounts[0]! / 2 ** 32).to.be.greaterThan(2);
    expect(m.mmio.violations).to.deep.equal([]);
  });

  it('folds 32-bit counter overflows in the interrupt handler without losing an event', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const [e] = m.open('arm_cspmu_mc_0/event=0x1/');
    const t0 = m.clock.now();
    m.advance(10 * SEC + 12345);
    const expected = m.hardware.workload.expected({ label: 'mc0', event: 1, filter: 0, filter2: 0 }, t0, m.clock.now());
    expect(m.perf.read(e!).value).to.equal(expected);
    // 1e9 events/s from the 0x7fffffff preload: an overflow every 2^31+1 events.
    expect(m.kernel.irqs.stats(0x100)).to.deep.include({ handled: 4, unhandled: 0 });
    expect(expected).to.equal(10 * 1e9 + 12345);
  });

  it('writes the kernel’s exact register sequence for a stat of one event', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const rec = recordAccesses(m);
    const [e] = m.open('arm_cspmu_cache_0/event=0x1a5/');
    m.advance(1000);
    m.perf.read(e!);
    await m.perf.close(e!);
    expect(rec.text()).to.deep.equal([
      'W32 0xe04 = 0x0',
      'W64 0x0 = 0x7fffffffffffffff',
      'W32 0x400 = 0x1a5',
      'W32 0xa00 = 0x0',
      'W32 0x800 = 0x0',
      'W32 0xc40 = 0x1',
      'W32 0xc00 = 0x1',
      'W32 0xe04 = 0x1',
      'R64 0x0',
      'W32 0xe04 = 0x0',
      'W32 0xc20 = 0x1',
      'W32 0xc60 = 0x1',
      'R64 0x0',
    ]);
    rec.log.length = 0;
    const [p] = m.open('arm_cspmu_pcie_0/cycles/');
    m.perf.read(p!);
    // A cycle counter on a non-atomic 64-bit PMU: PMCCFILTR, counter 31 at 0xf8, and hi-lo-hi reads.
    expect(rec.text()).to.deep.equal([
      'W32 0xe04 = 0x0',
      'W32 0xf8 = 0xffffffff',
      'W32 0xfc = 0x7fffffff',
      'W32 0x47c = 0x0',
      'W32 0xc40 = 0x80000000',
      'W32 0xc00 = 0x80000000',
      'W32 0xe04 = 0x1',
      'R32 0xfc',
      'R32 0xf8',
      'R32 0xfc',
    ]);
  });

  it('handles an overflow interrupt with the kernel’s access sequence', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const [e] = m.open('arm_cspmu_mc_0/event=0x1/');
    m.advance(2 ** 31);
    const rec = recordAccesses(m);
    m.advance(1);
    expect(rec.text('arm-cs-arch-pmu.0')).to.deep.equal([
      'W32 0xe04 = 0x0',
      'R32 0xc80',
      'W32 0xc80 = 0x1',
      'R32 0x0',
      'W32 0x0 = 0x7fffffff',
      'W32 0xe04 = 0x1',
    ]);
    expect(m.perf.read(e!).value).to.equal(2 ** 31 + 1);
  });

  it('runs event_init’s checks in the kernel’s order with its errno values', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const scf = m.perf.pmuByName('arm_cspmu_cache_0')!;
    const type = scf.type;
    expectCode(() => m.perf.open({ type: 4, config: 0x2n }, { cpu: 0 }), 'ENOENT');
    expectCode(() => m.perf.open({ type, config: 0x1a5n, sample_period: 1000 }, { cpu: 0 }), 'EOPNOTSUPP', 'does not support sampling');
    expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: 0, pid: 42 }), 'EINVAL');
    expectCode(() => m.perf.open({ type, config: 0x1a5n }, { cpu: 100 }), 'EINVAL', 'associated_cpus 0-71');
    const e = m.perf.open({ type, config: 0x1a5n }, { cpu: 7 });
    expect(e.cpu).to.equal(0);
    expect(e.hw.config).to.equal(0x1a5);
    // SCF has 8 event counters and the cycle counter: a group of 9 regular events cannot fit.
    const leader = m.perf.open({ type, config: 1n }, { cpu: 0 });
    for (let i = 0; i < 7; i++) m.perf.open({ type, config: 1n }, { cpu: 0, group: leader });
    m.perf.open({ type, config: 0x100000000n }, { cpu: 0, group: leader });
    expectCode(() => m.perf.open({ type, config: 2n }, { cpu: 0, group: leader }), 'EINVAL', 'does not fit');
    expectCode(() => m.perf.open({ type, config: 0x1a5n, exclude_user: true }, { cpu: 0 }), 'EINVAL', 'cannot exclude');
  });

  it('multiplexes more events than PMCFGR.N allows (EAGAIN from add)', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const events = m.open(Array.from({ length: 10 }, () => 'arm_cspmu_acpi_NVDA2001_0/event=0x0,filter=0x3/').join(','));
    m.advance(16 * MS);
    const r = events.map((e) => m.perf.read(e));
    // 4 event counters: each of 10 events runs part of the time; every count scales to the same rate.
    expect(r.every((x) => x.timeEnabled === 16 * MS)).to.equal(true);
    expect(r.reduce((s, x) => s + x.timeRunning, 0)).to.equal(4 * 16 * MS);
    const rate = m.hardware.workload.rateIn(0, { label: 'nvlink_c2c0_0', event: 0, filter: 3, filter2: 0 });
    for (const x of r) if (x.timeRunning > 0) expect(Math.abs(x.value - (x.timeRunning * rate) / 1e9)).to.be.lessThan(2);
  });

  it('migrates events when the active CPU goes offline, keeping counts and moving the IRQ', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    const t0 = m.clock.now();
    m.advance(1000);
    const cpumask = () => m.kernel.sysfs.read('/bus/event_source/devices/arm_cspmu_cache_0/cpumask');
    expect(cpumask()).to.equal('0\n');
    m.kernel.cpus.cpuDown(0);
    expect(cpumask()).to.equal('1\n');
    expect(e!.cpu).to.equal(1);
    expect(m.kernel.irqs.affinity(0x200)).to.equal(1);
    m.advance(1000);
    expect(m.perf.read(e!).value).to.equal(new ConstantRate(1.5e9).at(m.clock.now()) - new ConstantRate(1.5e9).at(t0));
    m.kernel.cpus.cpuUp(0);
    expect(cpumask()).to.equal('1\n');
  });

  it('exports sysfs attributes: cycles hidden without a cycle counter, formats, identifier, cpus', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const fs = m.kernel.sysfs;
    const dir = '/bus/event_source/devices/arm_cspmu_smmu_256';
    expect(fs.list(`${dir}/events`)).to.deep.equal([]);
    expect(fs.list('/bus/event_source/devices/arm_cspmu_mc_0/events')).to.deep.equal(['cycles']);
    expect(fs.read('/bus/event_source/devices/arm_cspmu_mc_0/events/cycles')).to.equal('event=0x100000000\n');
    expect(fs.list(`${dir}/format`).map((f) => `${f}: ${fs.read(`${dir}/format/${f}`)}`)).to.deep.equal([
      'event: config:0-32\n',
      'filter: config1:0-31\n',
      'filter2: config2:0-31\n',
    ]);
    // PMIIDR reads 0 on this device: the identity came from PMPIDR0-4.
    expect(fs.read(`${dir}/identifier`)).to.equal('5a11243b\n');
    expect(fs.read(`${dir}/associated_cpus`)).to.equal('0\n');
    expect(fs.read('/bus/event_source/devices/arm_cspmu_mc_0/associated_cpus')).to.equal('0-7\n');
    expect(fs.read(`${dir}/cpumask`)).to.equal('0\n');
    expect(fs.read(`${dir}/type`)).to.match(/^\d+\n$/);
  });

  it('tests for EXT64, reads PMIIDR, then the PMPIDRs when it is 0, then writes PMCR = 6 at probe', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const dev = m.bus.device('arm-cs-arch-pmu.1')!;
    await m.bus.deviceReleaseDriver(dev);
    const rec = recordAccesses(m);
    await m.bus.attachDevice(dev);
    expect(rec.text('arm-cs-arch-pmu.1')).to.deep.equal([
      'W32 0xc20 = 0xffffffff',
      'W32 0xc10 = 0xffffffff',
      'R32 0xc20',
      'R32 0xfbc',
      'R32 0xe00',
      'R32 0xe08',
      'R32 0xfe0',
      'R32 0xfe4',
      'R32 0xfe8',
      'R32 0xfec',
      'R32 0xfd0',
      'W32 0xe04 = 0x6',
    ]);
  });

  it('lets an APMT impl_id override both PMIIDR and the PMPIDRs', async () => {
    const spec = JSON.parse(JSON.stringify(ARM_GENERIC_PLATFORM));
    spec.pmus[1].implId = '0x2cf0036b';
    const m = await Machine.boot({ platform: spec, installed: [] });
    expect(m.kernel.sysfs.read('/bus/event_source/devices/arm_cspmu_smmu_256/identifier')).to.equal('2cf0036b\n');
  });
});
