// Tests that a counter's kept runs are only the times it counted, from the value it held then: no run while stopped, none of no length, and a wide counter's high word.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { replayOf, rig } from './helpers.js';

/** Counter 0, on event 0x11 with PMCR.E set, counts from 0x1000 for `ns` and is stopped. */
function countOnceFor({ io0, clock }: ReturnType<typeof rig>, ns: number) {
  io0.writel(0x11, REG.PMEVTYPER);
  io0.writel(PMCR.E, REG.PMCR);
  io0.writel(0x1000, REG.PMEVCNTR);
  io0.writel(1, REG.PMCNTENSET);
  clock.advance(ns);
  io0.writel(1, REG.PMCNTENCLR);
}

describe('CoreSight PMU model: the runs a counter keeps', () => {
  it('a preload of a stopped counter opens no run: a replay naming it active is refused, and it holds its value', () => {
    const r = rig({ counters: 4 });
    const { io0, clock } = r;
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(1000);
    io0.writel(0x1000, REG.PMEVCNTR);
    expect(replayOf(r)([], [0], 2000, 5)).to.equal(undefined);
    clock.advance(1000);
    expect(io0.readl(REG.PMEVCNTR)).to.equal(0x1000);
  });

  it('a replay with a period longer than the time since 0 leaves a stopped counter with no run (the -1 "none" is not moved)', () => {
    const r = rig({ counters: 4 });
    const { io0, clock } = r;
    const replay = replayOf(r);
    countOnceFor(r, 500);
    clock.advance(500);
    const t = clock.now();
    // The slice [0, 500) repeated with a 2000 ns period: t - period is -1000, before any run.
    expect(replay([{ counter: 0, start: t - 1000, end: t - 500 }], [], 2000, 3)?.cycles).to.equal(3);
    const held = io0.readl(REG.PMEVCNTR);
    // Counter 0 is stopped: a preload now opens no run, so naming it active is refused.
    io0.writel(0x1000, REG.PMEVCNTR);
    expect(replay([], [0], 2000, 5)).to.equal(undefined);
    // Idle, it holds its preload and the last copy's 500 events.
    expect(held).to.equal(0x1000 + 500);
  });

  it('a stopped counter started again keeps no run from -1 (the "none" of a stopped counter) to its start', () => {
    const r = rig({ counters: 4 });
    const { io0, clock } = r;
    countOnceFor(r, 300);
    clock.advance(300);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
    clock.advance(300);
    io0.writel(1, REG.PMCNTENCLR);
    clock.advance(100);
    // t = 1000, period 2000: a window from -1 is inside the period, but the counter did not count over [-1, 600).
    expect(
      replayOf(r)(
        [
          { counter: 0, start: -1, end: 600 },
          { counter: 0, start: 600, end: 900 },
        ],
        [],
        2000,
        5,
      ),
    ).to.equal(undefined);
    expect(replayOf(r)([{ counter: 0, start: 600, end: 900 }], [], 2000, 5)?.cycles).to.equal(5);
    expect(io0.readl(REG.PMEVCNTR)).to.equal(0x1000 + 300);
  });

  for (const how of ['started and stopped', 'started and preloaded']) {
    it(`a counter ${how} at one instant keeps no run of no length there`, () => {
      const r = rig({ counters: 4 });
      const { io0, clock } = r;
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(PMCR.E, REG.PMCR);
      clock.advance(500);
      io0.writel(0x1000, REG.PMEVCNTR);
      io0.writel(1, REG.PMCNTENSET);
      // A fresh run opens at 500; a stop at the same instant ends it, and a preload then starts it over.
      if (how === 'started and stopped') {
        io0.writel(1, REG.PMCNTENCLR);
        io0.writel(0x1000, REG.PMEVCNTR);
        io0.writel(1, REG.PMCNTENSET);
      } else io0.writel(0x1000, REG.PMEVCNTR);
      clock.advance(300);
      io0.writel(1, REG.PMCNTENCLR);
      clock.advance(200);
      expect(
        replayOf(r)(
          [
            { counter: 0, start: 500, end: 500 },
            { counter: 0, start: 500, end: 800 },
          ],
          [],
          2000,
          5,
        ),
      ).to.equal(undefined);
      expect(replayOf(r)([{ counter: 0, start: 500, end: 800 }], [], 2000, 5)?.cycles).to.equal(5);
      expect(io0.readl(REG.PMEVCNTR)).to.equal(0x1000 + 300);
    });
  }

  it('a wide counter keeps the high word it held at the start of a run: an idle replayed counter holds its full preload plus the copy', () => {
    const r = rig({ counters: 4, counterBits: 64 });
    const { io0, clock } = r;
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(5, REG.PMEVCNTR + 4);
    io0.writel(1, REG.PMCNTENSET);
    clock.advance(300);
    io0.writel(1, REG.PMCNTENCLR);
    clock.advance(700);
    expect(replayOf(r)([{ counter: 0, start: 0, end: 300 }], [], 2000, 5)?.cycles).to.equal(5);
    expect([io0.readl(REG.PMEVCNTR), io0.readl(REG.PMEVCNTR + 4)]).to.deep.equal([0x1000 + 300, 5]);
  });
});
