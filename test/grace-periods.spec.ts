// Grace periods that readers spanning an await depend on: delete any wait and one of these fails.

import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';
import { holdAt, turns } from './helpers/schedule.js';

const backendOf = (m: Machine, device: string) => m.driver.bindings().find((b) => b.device === device)?.backend;

/**
 * Boots Grace with no vendor backend, parks the free of an event on a device no backend here takes, then loads the test
 * backend: its reprobes wait for that free until `hold.release()`.
 */
async function reprobeWaitingOnAFree() {
  const m = await Machine.boot({ platform: 'grace', installed: [] });
  const [other] = m.open('arm_cspmu_pcie_0/cycles/');
  const hold = holdAt(m, '_free_event');
  const closing = m.perf.close(other!);
  await turns();
  const rec = m.kernel.lifecycle.record();
  const loading = loadBuiltinBackend(m, scfBackend());
  await turns();
  return { m, hold, closing, rec, loading };
}

describe('Grace periods and the readers that hold them', function () {
  this.timeout(60000);

  it('a pending reprobe waits until the perf core has finished freeing the last event', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')).to.include({ reprobePending: true, events: 1 });
    // The free is parked right after destroy, where the kernel could be preempted.
    const hold = holdAt(m, '_free_event');
    const closing = m.perf.close(e!);
    await turns();
    expect(hold.held).to.equal(1);
    // destroy dropped the last reference and queued the reprobe, which waits for the free to finish.
    expect(m.driver.instanceByName('arm_cspmu_cache_0')!.idle).to.equal(true);
    expect(m.driver.reprobeWq.busy).to.equal(true);
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('arm_cspmu_generic');
    hold.release();
    await closing;
    await m.settle();
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('test_scf_cspmu');
    expect(m.kernel.kasan.reports.map((r) => r.text)).to.deep.equal([]);
    expect(m.mmio.violations).to.deep.equal([]);
  });

  it('a pending reprobe is not queued by the destroy of an event that is not the last', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [a, b] = m.open('arm_cspmu_cache_0/cycles/,arm_cspmu_cache_0/event=0x1a5/');
    await loadBuiltinBackend(m, scfBackend());
    await m.perf.close(a!);
    // Nothing queued, and still open for new events: a reprobe that started now would refuse them (EBUSY) until its work gave up.
    expect(m.driver.reprobeWq.busy).to.equal(false);
    const [c] = m.open('arm_cspmu_cache_0/event=0x1a5/');
    await m.settle();
    expect(m.driver.bindings().find((x) => x.device === 'arm-cs-arch-pmu.0')).to.include({ reprobePending: true, events: 2, backend: 'arm_cspmu_generic' });
    await m.perf.close(c!);
    await m.perf.close(b!);
    await m.settle();
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('test_scf_cspmu');
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('refuses new events on a device whose reprobe is under way (EBUSY), so the grace period covers every free', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    const hold = holdAt(m, '_free_event');
    const closing = m.perf.close(e!);
    await turns();
    expect(() => m.open('arm_cspmu_cache_0/cycles/')).to.throw('EBUSY: arm_cspmu_cache_0 is being reprobed into another backend');
    hold.release();
    await closing;
    await m.settle();
    expect(m.open('test_scf_pmu_0/cycles/')).to.have.length(1);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('refuses new events from the destroy of the last one, before the queued reprobe work has started', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    // The reprobe work is parked before it runs: only destroy's own marking can refuse the open below.
    const hold = holdAt(m, 'work arm_cspmu_reprobe');
    const closing = m.perf.close(e!);
    await turns();
    expect(hold.held).to.equal(1);
    expect(m.perf.eventsHoldingModule()).to.deep.equal([]);
    expect(() => m.open('arm_cspmu_cache_0/cycles/')).to.throw('EBUSY: arm_cspmu_cache_0 is being reprobed into another backend');
    hold.release();
    await closing;
    await m.settle();
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('test_scf_cspmu');
    expect(m.kernel.kasan.reports.map((r) => r.text)).to.deep.equal([]);
  });

  it('refuses new events on an idle device reprobed at once when its backend loads, while the reprobe waits for a free elsewhere', async () => {
    // A free on another device is parked after its destroy: the reprobe's grace period waits for it.
    const { m, hold, closing, loading } = await reprobeWaitingOnAFree();
    expect(hold.held).to.equal(1);
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('arm_cspmu_generic');
    expect(() => m.open('arm_cspmu_cache_0/cycles/')).to.throw(
      'EBUSY: arm_cspmu_cache_0 is being reprobed into another backend; open the event again once it is back',
    );
    hold.release();
    await closing;
    await loading;
    await m.settle();
    expect([backendOf(m, 'arm-cs-arch-pmu.0'), backendOf(m, 'arm-cs-arch-pmu.4')]).to.deep.equal(['test_scf_cspmu', 'arm_cspmu_generic']);
    expect(m.open('test_scf_pmu_0/cycles/')).to.have.length(1);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('a reprobe whose device is unbound while it waits gives up: the device stays unbound until attached again', async () => {
    const { m, hold, closing, rec, loading } = await reprobeWaitingOnAFree();
    const dev = m.bus.device('arm-cs-arch-pmu.0')!;
    await m.bus.deviceReleaseDriver(dev);
    hold.release();
    await closing;
    await loading;
    await m.settle();
    // The other socket's cache PMU, reprobed after it, moved; this one was left as the user left it.
    const reprobed = rec.records.filter((r) => r.name === 'cspmu:reprobe').map((r) => (r.payload as { device: string }).device);
    expect([dev.bound, reprobed, backendOf(m, 'arm-cs-arch-pmu.16')]).to.deep.equal([false, ['arm-cs-arch-pmu.16'], 'test_scf_cspmu']);
    expect(await m.bus.attachDevice(dev)).to.equal(true);
    expect(backendOf(m, 'arm-cs-arch-pmu.0')).to.equal('test_scf_cspmu');
    expect(m.open('test_scf_pmu_0/cycles/')).to.have.length(1);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('a reprobe that finds its device bound anew once it holds the device lock leaves the new binding and its event alone', async () => {
    const { m, hold, closing, rec, loading } = await reprobeWaitingOnAFree();
    const dev = m.bus.device('arm-cs-arch-pmu.0')!;
    // The reprobe waits for the free; once it is let go, its take of this device's lock is parked before the lock is taken.
    let parked: (() => void) | undefined;
    hold.release();
    m.kernel.yieldPoint = (w) => (parked === undefined && w === `mutex_lock device:${dev.name}` ? new Promise<void>((r) => (parked = r)) : undefined);
    await closing;
    await turns();
    expect(parked).to.not.equal(undefined);
    m.kernel.yieldPoint = undefined;
    // Meanwhile the user unbinds and binds the device again (the new backend takes it) and opens an event on it.
    await m.bus.deviceReleaseDriver(dev);
    expect(await m.bus.attachDevice(dev)).to.equal(true);
    const inst = m.driver.instanceByName('test_scf_pmu_0')!;
    const [e] = m.open('test_scf_pmu_0/cycles/');
    parked!();
    await loading;
    await m.settle();
    m.advance(1000);
    const reprobed = rec.records.filter((r) => r.name === 'cspmu:reprobe').map((r) => (r.payload as { device: string }).device);
    expect([reprobed, m.driver.instanceByName('test_scf_pmu_0'), inst.inUseCount]).to.deep.equal([['arm-cs-arch-pmu.16'], inst, 1]);
    expect(m.perf.readCount(e!)).to.equal(1500);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('unbinding a device waits for a sysfs read of its PMU that is in progress', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const dev = m.bus.device('arm-cs-arch-pmu.0')!;
    const path = '/bus/event_source/devices/arm_cspmu_cache_0/identifier';
    const expected = m.kernel.sysfs.read(path);
    const hold = holdAt(m, 'sysfs_kf_seq_show');
    const read = m.kernel.sysfs.readAsync(path);
    await turns();
    expect(hold.held).to.equal(1);
    const unbind = m.bus.deviceReleaseDriver(dev);
    await turns();
    // The PMU is unregistered (gone from sysfs for new readers) but the instance lives until the reader is out.
    expect(m.kernel.sysfs.exists(path)).to.equal(false);
    expect(dev.bound).to.equal(true);
    hold.release();
    expect(await read).to.equal(expected);
    await unbind;
    expect(dev.bound).to.equal(false);
    expect(m.kernel.kasan.reports.map((r) => r.text)).to.deep.equal([]);
  });
});
