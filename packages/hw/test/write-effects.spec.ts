// Tests that a register write's side effects reach only what it touched: restarts per write, rate resolutions, and shared register layouts.
import { createKernel, type ManualClock } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { expect } from 'chai';
import { CspmuLayouts, CspmuModel, PMCR, REG, Workload } from '../src/index.js';
import { BASE0, modelConfig, rig } from './helpers.js';

const CNT = (n: number) => REG.PMEVCNTR + n * 4;
type Io = ReturnType<typeof rig>['io0'];

/** One device over a 1 GHz workload of event 0x11 whose selections are counted as the device resolves them. */
function countedResolutions(ext64: boolean) {
  const { kernel } = createKernel();
  const clock = kernel.clock as ManualClock;
  const bus = new MmioBus(kernel);
  const wl = new Workload({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });
  const resolutions = { count: 0 };
  const resolve = wl.resolve.bind(wl);
  wl.resolve = (sel) => {
    resolutions.count++;
    return resolve(sel);
  };
  const dev = new CspmuModel(modelConfig({ ext64 }), { clock, workload: wl });
  dev.attach(bus.map, 'pmu0', BASE0);
  return { io: bus.ioremap(BASE0, 0x1000, 'pmu0'), clock, resolutions };
}

/** Counter 0 on event 0x11, 1,000 events short of the top, counting and its interrupt enabled (PMCR.E still clear); the handler clears PMOVS. */
function thousandShort(r: ReturnType<typeof rig>): ReturnType<typeof rig> {
  r.handleIrqs(() => r.io0.writel(0xffffffff, REG.PMOVSCLR));
  r.io0.writel(0x11, REG.PMEVTYPER);
  r.io0.writel(0xffffffff - 999, REG.PMEVCNTR);
  r.io0.writel(0x1, REG.PMINTENSET);
  r.io0.writel(0x1, REG.PMCNTENSET);
  return r;
}

describe('CoreSight PMU model: each write restarts only what it touched', () => {
  it('a PMCR.E write restarts exactly the enabled counters, and every count stays exact', () => {
    // Nine counters (eight event counters and the cycle counter); two are enabled.
    const { io0, clock, dev } = rig({ counters: 9 });
    io0.writel(0x11, REG.PMEVTYPER + 4 * 2);
    io0.writel(0x11, REG.PMEVTYPER + 4 * 5);
    io0.writel((1 << 2) | (1 << 5), REG.PMCNTENSET);
    for (let i = 0; i < 10; i++) {
      const before = dev.restarts;
      io0.writel(PMCR.E, REG.PMCR);
      expect(dev.restarts - before, `enable ${i}`).to.equal(2);
      clock.advance(100);
      const mid = dev.restarts;
      io0.writel(0, REG.PMCR);
      expect(dev.restarts - mid, `disable ${i}`).to.equal(2);
      clock.advance(50);
    }
    // 1e9 events/s of 0x11 for 10 x 100 ns while enabled.
    expect(io0.readl(CNT(2))).to.equal(1000);
    expect(io0.readl(CNT(5))).to.equal(1000);
    for (const k of [0, 1, 3, 4, 6, 7]) expect(io0.readl(CNT(k)), `counter ${k}`).to.equal(0);
  });

  it('a PMCR write that changes neither E nor FZO restarts nothing', () => {
    const { io0, dev } = rig({ counters: 9 });
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    const before = dev.restarts;
    io0.writel(PMCR.E | PMCR.D, REG.PMCR);
    io0.writel(PMCR.E, REG.PMCR);
    expect(dev.restarts - before).to.equal(0);
  });

  it('a PMCNTENSET/CLR write restarts exactly the counter whose bit moved', () => {
    const { io0, clock, dev } = rig({ counters: 9 });
    for (const k of [0, 1, 2]) io0.writel(0x11, REG.PMEVTYPER + 4 * k);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x3, REG.PMCNTENSET);
    clock.advance(100);
    let before = dev.restarts;
    io0.writel(0x4, REG.PMCNTENSET);
    expect(dev.restarts - before).to.equal(1);
    clock.advance(100);
    before = dev.restarts;
    io0.writel(0x1, REG.PMCNTENCLR);
    expect(dev.restarts - before).to.equal(1);
    // Writing a bit that is already set moves nothing.
    before = dev.restarts;
    io0.writel(0x2, REG.PMCNTENSET);
    expect(dev.restarts - before).to.equal(0);
    clock.advance(100);
    expect([io0.readl(CNT(0)), io0.readl(CNT(1)), io0.readl(CNT(2))]).to.deep.equal([200, 300, 200]);
  });

  it("a write to a stopped counter's selection restarts nothing, and the counter counts the new selection once it starts", () => {
    const { io0, clock, dev } = rig({ counters: 9 });
    io0.writel(0x2, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    const before = dev.restarts;
    // Counter 0 is not enabled, counter 1 is enabled while PMCR.E is clear: neither counts, so neither restarts.
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0, REG.PMCR);
    const off = dev.restarts;
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(0x1, REG.PMEVFILTR + 4);
    expect([off - before, dev.restarts - off]).to.deep.equal([1, 0]);
    clock.advance(100);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x1, REG.PMCNTENSET);
    clock.advance(100);
    expect([io0.readl(CNT(0)), io0.readl(CNT(1))]).to.deep.equal([100, 100]);
    // While it counts, a new selection restarts it: event 0x12 does not occur, so it stops counting.
    io0.writel(0x12, REG.PMEVTYPER + 4);
    expect(dev.restarts - off).to.equal(3);
    clock.advance(100);
    expect([io0.readl(CNT(0)), io0.readl(CNT(1))]).to.deep.equal([200, 100]);
  });

  it('a PMCNTENSET/CLR write while PMCR.E is clear restarts nothing; the PMCR.E write then starts exactly the enabled counters', () => {
    const { io0, clock, dev } = rig({ counters: 9 });
    for (const k of [0, 1, 2]) io0.writel(0x11, REG.PMEVTYPER + 4 * k);
    const before = dev.restarts;
    io0.writel(0x7, REG.PMCNTENSET);
    io0.writel(0x2, REG.PMCNTENCLR);
    expect(dev.restarts - before).to.equal(0);
    clock.advance(100);
    io0.writel(PMCR.E, REG.PMCR);
    expect(dev.restarts - before).to.equal(2);
    clock.advance(100);
    expect([io0.readl(CNT(0)), io0.readl(CNT(1)), io0.readl(CNT(2))]).to.deep.equal([100, 0, 100]);
  });

  it('stopping a counter cancels its pending overflow: no interrupt, no overflow bit, and it overflows on time once started again', () => {
    // It would overflow 1,000 ns after it starts.
    const { io0, clock, dev, irqTimes } = thousandShort(rig({ counters: 9 }));
    const idle = clock.pendingTimers;
    io0.writel(PMCR.E, REG.PMCR);
    expect(clock.pendingTimers).to.equal(idle + 1);
    clock.advance(600);
    io0.writel(0, REG.PMCR);
    // Its overflow timer went with it.
    expect(clock.pendingTimers).to.equal(idle);
    clock.advance(1000);
    expect([irqTimes, io0.readl(REG.PMOVSCLR), dev.overflows, dev.counterValue(0)]).to.deep.equal([[], 0, 0, BigInt(0xffffffff - 399)]);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(500);
    expect([irqTimes, dev.overflows, dev.counterValue(0)]).to.deep.equal([[2000], 1, 100n]);
  });

  it('a counter stopped before its overflow forgets the overflow time: a read past it raises nothing, by PMCR or by PMCNTENCLR', () => {
    for (const stop of [(io: Io) => io.writel(0, REG.PMCR), (io: Io) => io.writel(0x1, REG.PMCNTENCLR)]) {
      // It would overflow at 1,000 ns.
      const { io0, clock, dev, irqTimes } = thousandShort(rig({ counters: 9 }));
      io0.writel(PMCR.E, REG.PMCR);
      clock.advance(600);
      stop(io0);
      clock.advance(1000);
      // Reads at and after the time it would have overflowed: the count it stopped at, and no overflow.
      expect([io0.readl(REG.PMEVCNTR), io0.readl(REG.PMEVCNTR), io0.readl(REG.PMOVSSET), irqTimes, dev.overflows]).to.deep.equal([
        0xffffffff - 399,
        0xffffffff - 399,
        0,
        [],
        0,
      ]);
    }
  });

  it('a new selection on a counting counter replaces its overflow timer: one timer pending, and the overflow at the new rate', () => {
    const wl = {
      name: 'two',
      phases: [
        {
          durationNs: 1_000_000,
          streams: [
            { pmu: '*', event: 0x11, rate: 1e9 },
            { pmu: '*', event: 0x12, rate: 5e8 },
          ],
        },
      ],
    };
    // At 1 event a ns it would overflow at 1,000 ns.
    const { io0, clock, dev, irqTimes } = thousandShort(rig({ counters: 9 }, wl));
    const idle = clock.pendingTimers;
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(200);
    // 800 events left at half an event a ns: the overflow moves to 1,800 ns.
    io0.writel(0x12, REG.PMEVTYPER);
    expect(clock.pendingTimers).to.equal(idle + 1);
    clock.advance(2000);
    expect([irqTimes, dev.overflows, io0.readl(REG.PMEVCNTR)]).to.deep.equal([[1800], 1, 200]);
  });

  it('resolves a counter selection once: re-enabling an unchanged counter asks the workload nothing', () => {
    const { io, clock, resolutions } = countedResolutions(false);
    io.writel(0x11, REG.PMEVTYPER);
    io.writel(0x1, REG.PMCNTENSET);
    for (let i = 0; i < 20; i++) {
      io.writel(PMCR.E, REG.PMCR);
      clock.advance(10);
      io.writel(0, REG.PMCR);
    }
    expect(resolutions.count).to.equal(1);
    expect(io.readl(CNT(0))).to.equal(200);
    // A new selection is resolved again.
    io.writel(0x12, REG.PMEVTYPER);
    io.writel(PMCR.E, REG.PMCR);
    expect(resolutions.count).to.equal(2);
  });
});

describe('CoreSight PMU model: a selection is resolved again when any of its words changes', () => {
  // FEAT_CSPMU_EXT64: event type, filter and filter2 are 64-bit, so each has a high word that selects too.
  const words: [string, number][] = [
    ['event type, low word', REG.PMEVTYPER],
    ['event type, high word', REG.PMEVTYPER + 4],
    ['filter, low word', REG.PMEVFILTR],
    ['filter, high word', REG.PMEVFILTR + 4],
    ['filter2, low word', REG.PMEVFILT2R],
    ['filter2, high word', REG.PMEVFILT2R + 4],
  ];
  for (const [what, offset] of words) {
    it(what, () => {
      const { io, resolutions } = countedResolutions(true);
      io.writel(0x11, REG.PMEVTYPER);
      io.writel(0x1, REG.PMCNTENSET);
      io.writel(PMCR.E, REG.PMCR_EXT64);
      expect(resolutions.count).to.equal(1);
      // Re-enabled unchanged: nothing to resolve.
      io.writel(0, REG.PMCR_EXT64);
      io.writel(PMCR.E, REG.PMCR_EXT64);
      expect(resolutions.count).to.equal(1);
      io.writel(0, REG.PMCR_EXT64);
      io.writel(offset === REG.PMEVTYPER ? 0x12 : 0x1, offset);
      io.writel(PMCR.E, REG.PMCR_EXT64);
      expect(resolutions.count).to.equal(2);
    });
  }
});

describe('CoreSight PMU model: register layouts shared by devices of one kind', () => {
  function twoDevices(second: Partial<Parameters<typeof modelConfig>[0]> = {}, first: Partial<Parameters<typeof modelConfig>[0]> = {}) {
    const { kernel } = createKernel();
    const clock = kernel.clock as ManualClock;
    const bus = new MmioBus(kernel);
    const workload = new Workload({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });
    const layouts = new CspmuLayouts();
    const a = new CspmuModel(modelConfig({ label: 'a', ...first }), { clock, workload, layouts });
    const b = new CspmuModel(modelConfig({ label: 'b', ...first, ...second }), { clock, workload, layouts });
    a.attach(bus.map, 'a', BASE0);
    b.attach(bus.map, 'b', BASE0 + 0x1000, BASE0 + 0x2000);
    return { clock, layouts, a, b, ioA: bus.ioremap(BASE0, 0x1000, 'a'), ioB: bus.ioremap(BASE0 + 0x1000, 0x1000, 'b') };
  }

  it('compiles one layout for two devices of one kind, and each device keeps its own registers and counting', () => {
    const { clock, layouts, a, b, ioA, ioB } = twoDevices();
    expect(layouts.size).to.equal(1);
    expect(a.page0.state).to.not.equal(b.page0.state);
    ioA.writel(0x11, REG.PMEVTYPER);
    ioA.writel(0x1, REG.PMCNTENSET);
    ioA.writel(PMCR.E, REG.PMCR);
    clock.advance(500);
    // Each hook reached its own device: b saw none of a's writes and counts nothing.
    expect(ioA.readl(CNT(0))).to.equal(500);
    expect(ioB.readl(CNT(0))).to.equal(0);
    expect(ioB.readl(REG.PMCNTENSET)).to.equal(0);
    expect(ioB.readl(REG.PMCR)).to.equal(0);
    expect(a.restarts).to.be.greaterThan(0);
    expect(b.restarts).to.equal(0);
    ioB.writel(0x11, REG.PMEVTYPER + 4);
    ioB.writel(0x2, REG.PMCNTENSET);
    ioB.writel(PMCR.E, REG.PMCR);
    clock.advance(100);
    expect(ioB.readl(CNT(1))).to.equal(100);
    expect(ioA.readl(CNT(0))).to.equal(600);
    expect(ioA.readl(CNT(1))).to.equal(0);
  });

  it('compiles a layout of its own for a device whose identity or geometry differs', () => {
    const variants: Partial<Parameters<typeof modelConfig>[0]>[] = [
      { counters: 9 },
      { counterBits: 64 },
      { cycleCounter: false },
      { dualPage: true },
      { ext64: true },
      { fzo: true },
      { implementer: 0x36b },
      { product: 0x5a1 },
      { variant: 2 },
      { revision: 3 },
      { pmiidrZero: true },
    ];
    for (const v of variants) expect(twoDevices(v).layouts.size, JSON.stringify(v)).to.equal(2);
    expect(twoDevices({ atomic64: true }, { counterBits: 64 }).layouts.size, 'atomic64').to.equal(2);
    // Neither the label nor the clock nor bus latency shapes the registers.
    expect(twoDevices({ clockHz: 2e9, accessLatencyNs: 5 }).layouts.size).to.equal(1);
    const other = twoDevices({ product: 0x5a1 });
    expect(other.layouts.size).to.equal(2);
    expect(other.ioA.readl(REG.PMIIDR)).to.not.equal(other.ioB.readl(REG.PMIIDR));
  });

  it('refuses a counter the device does not implement, past its highest one too', () => {
    const { dev } = rig({ counters: 5 });
    expect(dev.counterValue(31)).to.equal(0n);
    for (const p of [4, 30, 32, 200]) expect(() => dev.counterValue(p), `counter ${p}`).to.throw(/does not exist/);
  });
});
