// perf read(2) and ioctl(2) as sleeping readers: parked on a stalled bus or a hi-lo-hi retry, they hold the grace periods that free what they use.

import type { InjectedHazard } from '@cspmu/kernel';
import { Kmmio } from '@cspmu/mmio';
import { PERF_FORMAT_GROUP, PERF_FORMAT_ID, type PerfEvent, type ReadResult } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { FUZZ_TEARING_PMU, fuzzPlatform } from '@cspmu/testkit';
import { expect } from 'chai';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';
import { holdAt, turns } from './helpers/schedule.js';

const TWO32 = 2 ** 32;

/** The fuzz machine with 2 ns of bus latency; one event counting 1/ns on its non-atomic 64-bit PMU, bound to the generic backend. */
async function tearingMachine(inject: InjectedHazard[] = []) {
  const m = await Machine.boot({ platform: fuzzPlatform(2), installed: [], inject });
  const spec = m.platform.pmus.find((p) => p.label === FUZZ_TEARING_PMU)!;
  const device = `arm-cs-arch-pmu.${spec.id}`;
  const pmu = m.driver.bindings().find((b) => b.device === device)!.pmu;
  const [e] = m.open(`${pmu}/event=0x1/`);
  m.advance(1000);
  const inst = m.driver.instanceByName(pmu)!;
  const counterLo = () => Number(m.hardware.byId.get(spec.id)!.counterValue(e!.hw.idx) & 0xffffffffn);
  return { m, e: e!, device, inst, counterLo, page1: Number(BigInt(spec.base1!)) };
}

/** Park the counter 1 ns before its low word carries: the next hi-lo-hi sees the high word change and must read again. */
function toTheCarry(t: Awaited<ReturnType<typeof tearingMachine>>): void {
  t.m.advance(TWO32 - t.counterLo() - 1);
}

const backendOf = (m: Machine, device: string) => m.driver.bindings().find((b) => b.device === device)?.backend;

/** A read(2) that must sleep: it returned a promise. */
function sleeping(r: ReadResult | Promise<ReadResult>): Promise<ReadResult> {
  expect(r).to.be.instanceOf(Promise);
  return r as Promise<ReadResult>;
}

describe('Sleeping readers: perf read(2) and ioctl(2) across awaits', function () {
  this.timeout(60000);

  it('on a quiet bus read(2) and RESET finish at once: no promise, no read section left open', async () => {
    const { m, e } = await tearingMachine();
    const r = m.perf.sys.read(e);
    expect(r).not.to.be.instanceOf(Promise);
    expect(m.perf.read(e).value - (r as ReadResult).value).to.be.within(0, 16);
    expect(m.perf.freeing.activeReaders).to.equal(0);
    expect(m.perf.sys.ioctl(e, 'RESET')).to.equal(undefined);
    expect(e.count).to.equal(0);
    expect(m.perf.freeing.activeReaders).to.equal(0);
  });

  it('read(2) of a group leader with PERF_FORMAT_GROUP reads every member, at once on a quiet bus, after the wait on a stalled one', async () => {
    const { m, e, inst, page1 } = await tearingMachine();
    // The group needs both event counters: the machine's own event leaves first.
    await m.perf.close(e);
    const cpu = inst.activeCpu;
    const l = m.perf.open({ type: inst.type, config: 1n, read_format: PERF_FORMAT_GROUP | PERF_FORMAT_ID }, { cpu });
    const s = m.perf.open({ type: inst.type, config: 1n }, { cpu, group: l });
    m.advance(1000);
    const quiet = m.perf.sys.read(l) as ReadResult;
    expect(quiet).not.to.be.instanceOf(Promise);
    expect(quiet.group!.map((v) => v.id)).to.deep.equal([l.id, s.id]);
    m.mmio.stall(page1, 0x1000, m.clock.now() + 500);
    const reading = sleeping(m.perf.sys.read(l));
    m.advance(500);
    const r = await reading;
    expect(r.group!.map((v) => v.id)).to.deep.equal([l.id, s.id]);
    for (const v of r.group!) expect(v.value - quiet.group!.find((q) => q.id === v.id)!.value).to.be.within(500, 516);
    expect(m.perf.freeing.activeReaders).to.equal(0);
  });

  it('a read parked mid hi-lo-hi holds a pending reprobe back until it completes, with the count its close folded', async () => {
    const t = await tearingMachine();
    const { m, e, device } = t;
    await loadBuiltinBackend(m, scfBackend());
    expect(m.driver.bindings().find((b) => b.device === device)).to.include({ reprobePending: true, events: 1 });
    toTheCarry(t);
    const hold = holdAt(m, 'arm_cspmu_read_counter');
    const reading = sleeping(m.perf.sys.read(e));
    await turns();
    expect(hold.held).to.equal(1);
    expect(m.perf.freeing.activeReaders).to.equal(1);
    // Another task closes the event: destroy drops the last reference and queues the reprobe.
    await m.perf.close(e);
    const closed = e.count;
    await turns();
    expect(m.driver.reprobeWq.busy).to.equal(true);
    expect(backendOf(m, device)).to.equal('arm_cspmu_generic');
    hold.release();
    const r = await reading;
    // The close's stop folded the count; the parked read saw its counter stopped and folded nothing more.
    expect(r.value).to.equal(closed);
    expect(Math.abs(r.value - r.timeRunning)).to.be.at.most(16);
    await m.settle();
    expect(backendOf(m, device)).to.equal('test_scf_cspmu');
    expect(m.kernel.kasan.reports.map((x) => x.text)).to.deep.equal([]);
    expect(m.mmio.violations).to.deep.equal([]);
  });

  it('without the reprobe grace period (no-grace-period) the parked read resumes on a freed mapping: KASAN names the reprobe and perf_read', async () => {
    const t = await tearingMachine(['no-grace-period']);
    const { m, e } = t;
    await loadBuiltinBackend(m, scfBackend());
    toTheCarry(t);
    const hold = holdAt(m, 'arm_cspmu_read_counter');
    const reading = sleeping(m.perf.sys.read(e));
    const failed = reading.then(
      () => undefined,
      (err: Error) => err,
    );
    await turns();
    await m.perf.close(e);
    await m.settle();
    hold.release();
    expect(String(await failed)).to.contain('after iounmap');
    const [report] = m.kernel.kasan.reports;
    expect(report, 'a KASAN report').to.not.equal(undefined);
    expect(report!.type).to.equal('ioremap mapping');
    expect(report!.accessChain).to.include.members(['perf_read', 'arm_cspmu_read', 'arm_cspmu_read_counter']);
    expect(report!.freeChain).to.include('arm_cspmu_reprobe_work');
  });

  it('a read waiting on a stalled bus completes when the bus answers, with the count up to then', async () => {
    const { m, e, page1 } = await tearingMachine();
    const start = m.perf.read(e).value;
    m.mmio.stall(page1, 0x1000, m.clock.now() + 5000);
    const reading = sleeping(m.perf.sys.read(e));
    await turns();
    expect(m.perf.freeing.activeReaders).to.equal(1);
    m.advance(5000);
    const r = await reading;
    expect(r.value - start).to.be.within(5000, 5016);
    expect(m.perf.freeing.activeReaders).to.equal(0);
  });

  it('a sleeping hi-lo-hi that meets the carry when the bus answers reads again and counts exactly', async () => {
    const t = await tearingMachine();
    const { m, e, page1 } = t;
    // The bus answers when the low word is at its top: its reads land 2 ns apart, across the carry.
    const until = m.clock.now() + (TWO32 - t.counterLo() - 1);
    m.mmio.stall(page1, 0x1000, until);
    const retries = m.mmio.hiLoHiRetries;
    const reading = sleeping(m.perf.sys.read(e));
    m.advance(until - m.clock.now());
    const r = await reading;
    expect(m.mmio.hiLoHiRetries - retries).to.equal(1);
    expect(Math.abs(r.value - r.timeRunning)).to.be.at.most(16);
  });

  it('a read that sleeps folds only if nobody folded meanwhile: an atomic read in between is not counted twice', async () => {
    const t = await tearingMachine();
    const { m, e } = t;
    toTheCarry(t);
    const hold = holdAt(m, 'arm_cspmu_read_counter');
    const reading = sleeping(m.perf.sys.read(e));
    await turns();
    m.advance(100);
    // An atomic read (the overflow handler, a stop) folds the counter while the sleeping one waits.
    const atomic = m.perf.read(e).value;
    hold.release();
    const r = await reading;
    expect(r.value - atomic).to.be.within(0, 16);
    expect(Math.abs(r.value - r.timeRunning)).to.be.at.most(16);
  });

  it('RESET waits like read(2) on a stalled bus, then zeroes the count', async () => {
    const { m, e, page1 } = await tearingMachine();
    m.mmio.stall(page1, 0x1000, m.clock.now() + 100);
    const resetting = m.perf.sys.ioctl(e, 'RESET');
    expect(resetting).to.be.instanceOf(Promise);
    await turns();
    expect(m.perf.freeing.activeReaders).to.equal(1);
    m.advance(100);
    await resetting;
    expect(e.count).to.equal(0);
    m.advance(50);
    expect(m.perf.read(e).value).to.be.within(50, 66);
  });

  it('ioctl refuses what it cannot do with the kernel errno', async () => {
    const { m, e } = await tearingMachine();
    expect(() => m.perf.sys.ioctl(e, 'REFRESH')).to.throw('EINVAL: PERF_EVENT_IOC_REFRESH');
    expect(() => m.perf.sys.ioctl(e, 'BOGUS' as never)).to.throw('ENOTTY');
    await m.perf.close(e);
    expect(() => m.perf.sys.read(e)).to.throw('EBADF');
    expect(() => m.perf.sys.ioctl(e, 'ENABLE')).to.throw('EBADF');
  });

  it('detaching a tracer from pmu->read waits for a traced read that sleeps', async () => {
    const { m, e, page1 } = await tearingMachine();
    const sites = m.kernel.callSites;
    const state = m.kernel.kasan.alloc('struct test_tracer', 'tracer0');
    const calls: string[] = [];
    const tracer = {
      name: 'test',
      onCall: () => {
        calls.push('onCall');
        if (state.freedBy !== null) state.report('tracer->records');
      },
      release: () => {
        calls.push('release');
        m.kernel.calls.run('kfree', () => state.free(), 'ftrace_free_ops');
      },
    };
    sites.attach('pmu->read', tracer);
    m.mmio.stall(page1, 0x1000, m.clock.now() + 100);
    const reading = sleeping(m.perf.sys.read(e));
    let detached = false;
    const detaching = sites.detach('pmu->read', tracer).then(() => {
      detached = true;
    });
    await turns();
    expect(detached).to.equal(false);
    m.advance(100);
    await reading;
    await detaching;
    expect(calls).to.deep.equal(['onCall', 'release']);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('unregistering a kmmio probe waits for a hit whose access is waiting on a stalled bus', async () => {
    const { m, e, page1 } = await tearingMachine();
    const hits: string[] = [];
    const probe = { addr: page1, len: 0x1000, post: () => void hits.push('post') };
    const kmmio = new Kmmio(m.mmio, m.kernel);
    kmmio.register(probe);
    m.mmio.stall(page1, 0x1000, m.clock.now() + 100);
    const reading = sleeping(m.perf.sys.read(e as PerfEvent));
    let unregistered = false;
    const unregistering = kmmio.unregister(probe).then(() => {
      unregistered = true;
    });
    await turns();
    expect(unregistered).to.equal(false);
    m.advance(100);
    await reading;
    await unregistering;
    expect(hits.length).to.be.at.least(1);
    expect(m.kernel.kasan.reports.map((r) => r.text)).to.deep.equal([]);
  });

  describe('the overflow interrupt on a stalled bus', () => {
    /** The fuzz machine's 32-bit PMU (level IRQ) with one event, 20 ns before its counter overflows, and the bus held for `stallNs` from then. */
    async function nearOverflow(stallNs: number) {
      const m = await Machine.boot({ platform: fuzzPlatform(0), installed: [] });
      const spec = m.platform.pmus.find((p) => p.label === 'p32')!;
      const pmu = m.driver.bindings().find((b) => b.device === `arm-cs-arch-pmu.${spec.id}`)!.pmu;
      const [e] = m.open(`${pmu}/event=0x1/`);
      const value = () => Number(m.hardware.byId.get(spec.id)!.counterValue(e!.hw.idx));
      m.advance(TWO32 - value() - 20);
      const irq = m.driver.instanceByName(pmu)!.irq;
      m.mmio.stall(Number(BigInt(spec.base0)), 0x1000, m.clock.now() + stallNs);
      return { m, e: e!, irq, dev: m.bus.device(`arm-cs-arch-pmu.${spec.id}`)! };
    }

    it('the hard handler wakes the irq thread, which folds the overflow once the bus answers, exactly', async () => {
      const { m, e, irq } = await nearOverflow(1000);
      m.advance(40);
      // The line stays masked while the thread waits: one delivery, handled by waking it; the status is not cleared yet.
      expect(m.kernel.irqs.stats(irq)).to.include({ delivered: 1, handled: 1 });
      expect(m.kernel.irqs.isAsserted(irq)).to.equal(true);
      m.advance(960);
      await m.kernel.irqs.settle();
      const r = m.perf.read(e);
      expect(r.value).to.equal(r.timeRunning);
      expect(m.kernel.irqs.isAsserted(irq)).to.equal(false);
    });

    it('the line stays masked while its thread waits: the device raising it again wakes no second thread', async () => {
      const { m, e, irq } = await nearOverflow(1000);
      m.advance(40);
      // The device asserts the line again (another status change) while the thread waits for the bus.
      m.kernel.irqs.raise(irq);
      m.advance(10);
      expect(m.kernel.irqs.stats(irq)).to.include({ delivered: 1, handled: 1 });
      m.advance(950);
      await m.kernel.irqs.settle();
      expect(m.kernel.irqs.stats(irq)).to.include({ delivered: 1, handled: 1 });
      const r = m.perf.read(e);
      expect(r.value).to.equal(r.timeRunning);
      expect(m.kernel.irqs.isAsserted(irq)).to.equal(false);
    });

    it('freeing the IRQ on unbind waits for its running thread (synchronize_irq): nothing is used after release', async () => {
      const { m, e, irq, dev } = await nearOverflow(1000);
      m.advance(40);
      await m.perf.close(e);
      const unbind = m.bus.deviceReleaseDriver(dev);
      await turns();
      // The PMU is unregistered, but the device stays bound until the thread is out.
      expect(dev.bound).to.equal(true);
      m.advance(960);
      await unbind;
      expect(dev.bound).to.equal(false);
      expect(m.kernel.irqs.owner(irq)).to.equal(undefined);
      expect(m.kernel.kasan.reports.map((r) => r.text)).to.deep.equal([]);
      expect(m.mmio.violations).to.deep.equal([]);
    });
  });
});
