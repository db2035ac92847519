// Tests of how many cycles the replay service repeats: never fewer than one, never past the end of the clock's range, up to a workload phase change rather than none, and none when the sums cannot be had.
import { expect } from 'chai';
import { PMCR, REG, type WorkloadSpec } from '../src/index.js';
import { replayOf, rig } from './helpers.js';
import { twoCycles } from './two-cycles.js';

const period = 2000;

describe('CoreSight PMU model: replay budget', () => {
  it('a counter that goes on counting overflows at the instant of the request, its interrupt not yet raised: nothing is replayed', () => {
    // Counter 0 counts event 0x11 (1 GHz) from 0x1000 for the first half of each 2 us cycle; counter 1 counts it throughout from
    // 2^32 - 4000, so it wraps at 4000 ns, just as the third cycle starts. The request is made at 4000 ns by a timer armed before
    // counter 1's overflow timer, so that overflow is due but not yet raised: no copy fits before it (a budget of -1 cycles).
    const outcome = (closedForm: boolean) => {
      const r = rig({ counters: 4 });
      const { io0, clock } = r;
      r.handleIrqs(() => io0.writel(io0.readl(REG.PMOVSCLR), REG.PMOVSCLR));
      const start = () => {
        io0.writel(0x1000, REG.PMEVCNTR);
        io0.writel(1, REG.PMCNTENSET);
      };
      let replayed: unknown = 'not asked';
      clock.at(2 * period, () => {
        start();
        if (closedForm) replayed = replayOf(r)([{ counter: 0, start: period, end: 1.5 * period }], [0], period, 5);
      });
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(0x11, REG.PMEVTYPER + 4);
      io0.writel(2 ** 32 - 2 * period, REG.PMEVCNTR + 4);
      io0.writel(2, REG.PMINTENSET);
      io0.writel(2, REG.PMCNTENSET);
      io0.writel(PMCR.E, REG.PMCR);
      for (let i = 0; i < 2; i++) {
        start();
        clock.advance(period / 2);
        io0.writel(1, REG.PMCNTENCLR);
        clock.advance(period / 2);
      }
      clock.advance(period / 2);
      io0.writel(1, REG.PMCNTENCLR);
      return { replayed, counters: [io0.readl(REG.PMEVCNTR), io0.readl(REG.PMEVCNTR + 4)], irqTimes: r.irqTimes };
    };
    const stepped = outcome(false);
    // Counter 0 counted its third slice from the preload; counter 1 wrapped at 4000 ns and counted 1000 more.
    expect(stepped).to.deep.equal({ replayed: 'not asked', counters: [0x1000 + 1000, 1000], irqTimes: [4000] });
    // Repeating -1 cycles would restart counter 0 a period back: it would read 0x1000 + 3000.
    expect(outcome(true)).to.deep.equal({ ...stepped, replayed: undefined });
  });

  it('copies that would end past the largest safe clock time are refused; the largest budget that ends within it is replayed in full', () => {
    const lastCycle = (r: ReturnType<typeof twoCycles>) => [{ counter: 0, start: r.t - r.period, end: r.t - r.period / 2 }];
    // The largest budget whose copies end at a safe integer time, and one cycle more (its span alone still fits).
    const fits = (r: ReturnType<typeof twoCycles>) => Math.floor((Number.MAX_SAFE_INTEGER - r.t) / r.period);
    const over = twoCycles();
    expect(Number.isSafeInteger((fits(over) + 1) * over.period)).to.equal(true);
    expect(over.replay(lastCycle(over), [0], over.period, fits(over) + 1)).to.equal(undefined);
    // Refused, counter 0 counts on from its preload at now; had the copies been applied it would wait for their end and read 0x1000.
    over.clock.advance(over.period / 2);
    expect(over.io0.readl(REG.PMEVCNTR)).to.equal(0x1000 + 1000);
    const within = twoCycles();
    const cycles = fits(within);
    expect(within.replay(lastCycle(within), [0], within.period, cycles)).to.deep.equal({ cycles, totals: [cycles * 1000] });
  });

  it('copies are repeated up to a workload phase change, not refused whole: the counts equal stepping every cycle', () => {
    // 1 GHz for the first 10 us, then 2 GHz for good. Counter 0 counts from 0x1000 for the first half of each 2 us cycle; the
    // driver adds what it read at each stop. Asked at 4 us for 5 cycles, the device can repeat 3 (their slices end before the change).
    const workload: WorkloadSpec = {
      name: 'faster',
      repeat: false,
      phases: [
        { durationNs: 10_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] },
        { durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 2e9 }] },
      ],
    };
    const outcome = (closedForm: boolean) => {
      const r = rig({ counters: 4 }, workload);
      const { io0, clock } = r;
      let events = 0;
      const cycle = () => {
        io0.writel(0x1000, REG.PMEVCNTR);
        io0.writel(1, REG.PMCNTENSET);
        clock.advance(period / 2);
        io0.writel(1, REG.PMCNTENCLR);
        events += io0.readl(REG.PMEVCNTR) - 0x1000;
        clock.advance(period / 2);
      };
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(PMCR.E, REG.PMCR);
      cycle();
      cycle();
      let left = 5;
      let replayed = 0;
      if (closedForm) {
        const t = clock.now();
        const r2 = replayOf(r)([{ counter: 0, start: t - period, end: t - period / 2 }], [], period, left);
        replayed = r2?.cycles ?? 0;
        for (const n of r2?.totals ?? []) events += n;
        left -= replayed;
        clock.advance(replayed * period);
      }
      for (let i = 0; i < left; i++) cycle();
      return { events, counter: io0.readl(REG.PMEVCNTR), replayed };
    };
    // Five slices at 1 GHz (two before the request, three after), then two at 2 GHz.
    expect(outcome(false)).to.deep.equal({ events: 9000, counter: 0x1000 + 2000, replayed: 0 });
    expect(outcome(true)).to.deep.equal({ events: 9000, counter: 0x1000 + 2000, replayed: 3 });
  });

  it('a slice whose copies fall at more distinct points of a repeating workload than the sums take is refused, not summed', () => {
    // The workload repeats every 2500 + `second` ns (1 GHz, then 2 GHz). Counter 0 counts from 0x1000 for the first half of each
    // 2 us cycle. With a 5003 ns workload the copies' slices start at 5003 different points of it, more than the 4096 the closed form
    // sums; with a 5000 ns one, at 5.
    const asked = (second: number) => {
      const workload: WorkloadSpec = {
        name: 'two-rates',
        phases: [
          { durationNs: 2500, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] },
          { durationNs: second, streams: [{ pmu: '*', event: 0x11, rate: 2e9 }] },
        ],
      };
      const r = rig({ counters: 4 }, workload);
      const { io0, clock } = r;
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(PMCR.E, REG.PMCR);
      for (let i = 0; i < 2; i++) {
        io0.writel(0x1000, REG.PMEVCNTR);
        io0.writel(1, REG.PMCNTENSET);
        clock.advance(period / 2);
        io0.writel(1, REG.PMCNTENCLR);
        clock.advance(period / 2);
      }
      const got = replayOf(r)([{ counter: 0, start: period, end: 1.5 * period }], [], period, 5);
      return { got, counter: io0.readl(REG.PMEVCNTR) };
    };
    // Refused, the counter still holds the second slice's count: 500 events at 1 GHz, then 500 ns at 2 GHz.
    expect(asked(2503)).to.deep.equal({ got: undefined, counter: 0x1000 + 1500 });
    // Copies starting 4000, 1000, 3000, 0 and 2000 ns into the workload count 2000, 1000, 2000, 1000 and 1500; the counter keeps the last.
    expect(asked(2500)).to.deep.equal({ got: { cycles: 5, totals: [7500] }, counter: 0x1000 + 1500 });
  });
});
