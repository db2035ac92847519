// The device's quiet condition for repeating a rotation cycle in closed form: each term refuses a case that repeating would get wrong.

import { PMCR, REG } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { onePmu } from './helpers/platforms.js';

type Replay = (w: { counter: number; start: number; end: number }[], a: number[], period: number, max: number) => { cycles: number } | undefined;

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
