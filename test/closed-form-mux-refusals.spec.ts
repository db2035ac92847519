// When the device refuses to repeat a rotation cycle in closed form, each case driven over MMIO: bus latency, an active counter that started before now, a slice from before the last cycle.

import { PMCR, REG } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { onePmu } from './helpers/platforms.js';

type Replay = (
  w: { counter: number; start: number; end: number }[],
  a: number[],
  period: number,
  max: number,
) => { cycles: number; totals: number[] } | undefined;

describe('Multiplexing in closed form: the device refuses on a bus with access latency', function () {
  this.timeout(300000);

  it("a driver's accesses that spill past the next cycle's start make the cycles differ: the counter reads as if each copy ran", async () => {
    // Counter 0 counts event 0x1 (1 GHz) from a preload for the first half of each 3 us cycle. Each access takes 550 ns: the start
    // (enable, then preload) and the stop (disable, then a read of each event counter) are each one burst. The stop's burst ends 150 ns into the next
    // cycle, so from the second cycle on the start's accesses land 700 ns late and the counter counts 250,000 events a slice, not the
    // 950,000 of the first cycle, which nothing delayed. The device sees only the cycle it is asked to repeat, so it must refuse.
    const period = 3_000_000;
    const outcome = async (latency: number, closedForm: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, latency), installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      const cycle = () => {
        io.writel(1, REG.PMCNTENSET);
        io.writel(0x1000, REG.PMEVCNTR);
        m.advance(period / 2);
        io.writel(1, REG.PMCNTENCLR);
        for (let p = 0; p < 3; p++) io.readl(REG.PMEVCNTR + 4 * p);
        m.advance(period / 2);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(PMCR.E, REG.PMCR);
      // The set-up's own burst is over before the first cycle starts.
      m.advance(period);
      const first = m.kernel.clock.now();
      cycle();
      let left = 5;
      let replayed = 0;
      if (closedForm) {
        const t = m.kernel.clock.now();
        const start = first + latency;
        const service = m.hardware.device('w').page0.service as { replay: Replay };
        replayed = service.replay([{ counter: 0, start, end: first + period / 2 }], [], period, left)?.cycles ?? 0;
        left -= replayed;
        // The caller lets the copies' time pass, as the perf core does.
        m.advance(replayed * period);
        expect(t).to.equal(first + period);
      }
      for (let i = 0; i < left; i++) cycle();
      const registers = { counter: io.readl(REG.PMEVCNTR), overflow: io.readl(REG.PMOVSSET) };
      m.mmio.iounmap(io);
      await m.shutdown();
      return { registers, replayed };
    };
    const stepped = await outcome(550_000, false);
    // The last slice counted from 700 ns after its cycle's start (the spill, then the enable) to the stop at 1.5 us.
    expect(stepped.registers).to.deep.equal({ counter: 0x1000 + 250_000, overflow: 0 });
    expect((await outcome(550_000, true)).registers).to.deep.equal(stepped.registers);
    // Without latency the same driver's cycles are all alike and the device repeats them: only the latency refuses above.
    const prompt = await outcome(0, true);
    expect(prompt).to.deep.equal({ registers: { counter: 0x1000 + 1_500_000, overflow: 0 }, replayed: 5 });
  });
});

describe('Multiplexing in closed form: the device refuses an active counter that did not start now', function () {
  this.timeout(300000);

  it('asked in the middle of a slice, a counter counting since its preload is not restarted from it: the counters read as if each copy ran', async () => {
    const period = 2_000_000;
    // Each 2 ms cycle: counter 0 counts event 0x1 (1 GHz) from 0x1000 for the first half, counter 1 from 0x2000 for the second.
    // The driver asks `into` ns after counter 0's slice began, naming counter 1's last slice and counter 0 as active.
    const outcome = async (into: number, closedForm: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      const start = (p: number) => {
        io.writel(0x1000 * (p + 1), REG.PMEVCNTR + 4 * p);
        io.writel(1 << p, REG.PMCNTENSET);
      };
      const stop = (p: number) => io.writel(1 << p, REG.PMCNTENCLR);
      // From `into` ns into counter 0's slice to the same point of the next cycle.
      const rest = () => {
        m.advance(period / 2 - into);
        stop(0);
        start(1);
        m.advance(period / 2);
        stop(1);
        start(0);
        if (into > 0) m.advance(into);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(1, REG.PMEVTYPER + 4);
      io.writel(PMCR.E, REG.PMCR);
      start(0);
      if (into > 0) m.advance(into);
      for (let i = 0; i < 2; i++) rest();
      let left = 3;
      let replayed = 0;
      if (closedForm) {
        const t = m.kernel.clock.now();
        const slice1 = { counter: 1, start: t - into - period / 2, end: t - into };
        const service = m.hardware.device('w').page0.service as { replay: Replay };
        replayed = service.replay([slice1], [0], period, left)?.cycles ?? 0;
        left -= replayed;
        // The caller lets the copies' time pass, as the perf core does.
        m.advance(replayed * period);
      }
      for (let i = 0; i < left; i++) rest();
      m.advance(period / 2 - into);
      stop(0);
      const counters = [io.readl(REG.PMEVCNTR), io.readl(REG.PMEVCNTR + 4)];
      m.mmio.iounmap(io);
      await m.shutdown();
      return { counters, replayed };
    };
    const whole = [0x1000 + 1_000_000, 0x2000 + 1_000_000];
    const stepped = await outcome(500_000, false);
    expect(stepped.counters).to.deep.equal(whole);
    // Replayed, counter 0 would count only from the end of the copies and read 0x1000 + 500,000.
    expect(await outcome(500_000, true)).to.deep.equal({ counters: whole, replayed: 0 });
    // Asked as counter 0's slice begins, the same cycle is repeated: only the start time refused above.
    expect(await outcome(0, true)).to.deep.equal({ counters: whole, replayed: 3 });
  });
});

describe('Multiplexing in closed form: the device refuses windows from before the last cycle', function () {
  this.timeout(300000);

  it('a slice of the cycle before the last one is not repeated as well: the events the driver counts are those of each copy once', async () => {
    const period = 2_000_000;
    // Counter 0 counts event 0x1 (1 GHz) from 0x1000 for the first half of each 2 ms cycle; the driver adds what it read at each stop.
    const outcome = async (closedForm: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      let events = 0;
      const cycle = () => {
        io.writel(0x1000, REG.PMEVCNTR);
        io.writel(1, REG.PMCNTENSET);
        m.advance(period / 2);
        io.writel(1, REG.PMCNTENCLR);
        events += io.readl(REG.PMEVCNTR) - 0x1000;
        m.advance(period / 2);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(PMCR.E, REG.PMCR);
      for (let i = 0; i < 3; i++) cycle();
      let left = 3;
      let replayed = 0;
      if (closedForm) {
        const t = m.kernel.clock.now();
        // The last cycle's slice, and the one before it, which the copies do not contain.
        const windows = [-2, -1].map((k) => ({ counter: 0, start: t + k * period, end: t + k * period + period / 2 }));
        const service = m.hardware.device('w').page0.service as { replay: Replay };
        const r = service.replay(windows, [], period, left);
        replayed = r?.cycles ?? 0;
        for (const n of r?.totals ?? []) events += n;
        left -= replayed;
        m.advance(replayed * period);
      }
      for (let i = 0; i < left; i++) cycle();
      const counter = io.readl(REG.PMEVCNTR);
      m.mmio.iounmap(io);
      await m.shutdown();
      return { events, counter, replayed };
    };
    expect(await outcome(false)).to.deep.equal({ events: 6_000_000, counter: 0x1000 + 1_000_000, replayed: 0 });
    // Repeating both slices would count the older one's copies too: 9,000,000 events.
    expect(await outcome(true)).to.deep.equal({ events: 6_000_000, counter: 0x1000 + 1_000_000, replayed: 0 });
  });
});
