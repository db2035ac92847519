// Tests of which recorded runs the replay service repeats: only slices that have happened, active counters that count, idle counters whose last run was named, and the copies' runs again once their time has passed.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { type Replay, replayOf, rig } from './helpers.js';
import { twoCycles } from './two-cycles.js';

const period = 2000;

/**
 * Counter 0 counts event 0x11 (1 GHz) from 0x1000 over [start, end) of each 2 us cycle, nothing counting at a cycle's start; the
 * driver adds what it read at each stop. Two cycles are stepped, then `ask` may request copies of the last one (adding their totals
 * and letting their time pass, as the perf core does) and returns how many it got; the rest of the seven cycles are stepped.
 */
function slices(start: number, end: number, ask?: (r: ReturnType<typeof rig>, replay: Replay, left: number) => { cycles: number; events: number }) {
  const r = rig({ counters: 4 });
  const { io0, clock } = r;
  let events = 0;
  const cycle = () => {
    clock.advance(start);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
    clock.advance(end - start);
    io0.writel(1, REG.PMCNTENCLR);
    events += io0.readl(REG.PMEVCNTR) - 0x1000;
    clock.advance(period - end);
  };
  io0.writel(0x11, REG.PMEVTYPER);
  io0.writel(PMCR.E, REG.PMCR);
  cycle();
  cycle();
  let left = 5;
  let replayed = 0;
  if (ask !== undefined) {
    const got = ask(r, replayOf(r), left);
    replayed = got.cycles;
    events += got.events;
    left -= replayed;
  }
  for (let i = 0; i < left; i++) cycle();
  return { events, counter: io0.readl(REG.PMEVCNTR), replayed };
}

/** Ask for up to `max` copies of the cycle that just ended, whose one slice is [start, end) of it; let their time pass. */
function copies(r: ReturnType<typeof rig>, replay: Replay, max: number, start: number, end: number, active: number[] = []) {
  const t = r.clock.now();
  const got = replay([{ counter: 0, start: t - period + start, end: t - period + end }], active, period, max);
  const cycles = got?.cycles ?? 0;
  r.clock.advance(cycles * period);
  return { cycles, events: got?.totals.reduce((a, b) => a + b, 0) ?? 0 };
}

describe('CoreSight PMU model: replayed runs', () => {
  it('a counter stopped and started again has no run over the time it was stopped: only a slice it counted throughout is repeated', () => {
    // Both counters are preloaded and started at 0; counter 0 counts until 2 us, counter 1 stops at 1 us and starts again at 2 us.
    const r = rig({ counters: 4 });
    const { io0, clock } = r;
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(0x1000, REG.PMEVCNTR + 4);
    io0.writel(0b11, REG.PMCNTENSET);
    clock.advance(1000);
    io0.writel(0b10, REG.PMCNTENCLR);
    clock.advance(1000);
    io0.writel(0b01, REG.PMCNTENCLR);
    io0.writel(0b10, REG.PMCNTENSET);
    const replay = replayOf(r);
    expect(replay([{ counter: 1, start: 0, end: period }], [], period, 3)).to.equal(undefined);
    expect(replay([{ counter: 0, start: 0, end: period }], [], period, 3)).to.deep.equal({ cycles: 3, totals: [3 * period] });
  });

  it('a counter preloaded while it counts ends its run there and begins a fresh one: the slice before is a run, and it is active from then', () => {
    const r = rig({ counters: 4 });
    const { io0, clock } = r;
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
    clock.advance(period);
    // Preloaded at 2 us while it counts, as a driver re-arms a multiplexed counter: [0, 2) us is a finished run, and a fresh one begins.
    io0.writel(0x1000, REG.PMEVCNTR);
    const got = replayOf(r)([{ counter: 0, start: 0, end: period }], [0], period, 3);
    expect(got).to.deep.equal({ cycles: 3, totals: [3 * period] });
  });

  it('asked again before the copies have passed, for a slice of the last copy (a run moved ahead of now), the device refuses', () => {
    // Counter 0 counts over [500, 1500) of each cycle. Asked at 4 us, the device repeats 3 cycles and moves the last run with them,
    // to [10.5, 11.5) us. A second request at 4 us naming that run would repeat it again: 3,000 events counted twice.
    const ask = (r: ReturnType<typeof rig>, replay: Replay, left: number) => {
      const t = r.clock.now();
      const first = replay([{ counter: 0, start: t - 1500, end: t - 500 }], [], period, 3);
      const again = replay([{ counter: 0, start: t + 3 * period - 1500, end: t + 3 * period - 500 }], [], period, left - 3);
      expect(again).to.equal(undefined);
      r.clock.advance(3 * period);
      return { cycles: first!.cycles, events: first!.totals[0]! };
    };
    expect(slices(500, 1500)).to.deep.equal({ events: 7000, counter: 0x1000 + 1000, replayed: 0 });
    expect(slices(500, 1500, ask)).to.deep.equal({ events: 7000, counter: 0x1000 + 1000, replayed: 3 });
  });

  it('an active counter that is not counting is refused, not looked up, and the counters count on as stepped', () => {
    // Counter 0 started its third cycle at 4 us; counter 1 exists but never counted, so it has no run in progress.
    for (const active of [[0, 1], [1], [2]]) {
      const r = twoCycles();
      const lastCycle = [{ counter: 0, start: r.t - r.period, end: r.t - r.period / 2 }];
      expect(r.replay(lastCycle, active, r.period, 5), `active ${active}`).to.equal(undefined);
      r.clock.advance(r.period / 2);
      expect(r.io0.readl(REG.PMEVCNTR), `active ${active}`).to.equal(0x1000 + 1000);
    }
  });

  it('an idle counter whose last run was not named (it ran twice a cycle, the second time without a preload) is refused', () => {
    // Each 2 us cycle: counter 0 counts from 2^32 - 800 over [200, 700), pauses, and counts on over [1000, 1500), wrapping at 1300
    // (its interrupt handler clears the overflow). Named: the first run only. Applied anyway, the copies' second runs would wrap
    // unseen: one interrupt fewer per copy.
    const outcome = (closedForm: boolean) => {
      const r = rig({ counters: 4 });
      const { io0, clock } = r;
      r.handleIrqs(() => io0.writel(io0.readl(REG.PMOVSCLR), REG.PMOVSCLR));
      const cycle = () => {
        clock.advance(200);
        io0.writel(2 ** 32 - 800, REG.PMEVCNTR);
        io0.writel(1, REG.PMCNTENSET);
        clock.advance(500);
        io0.writel(1, REG.PMCNTENCLR);
        clock.advance(300);
        io0.writel(1, REG.PMCNTENSET);
        clock.advance(500);
        io0.writel(1, REG.PMCNTENCLR);
        clock.advance(500);
      };
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(1, REG.PMINTENSET);
      io0.writel(PMCR.E, REG.PMCR);
      cycle();
      cycle();
      let left = 5;
      let replayed: unknown = 'not asked';
      if (closedForm) {
        const t = clock.now();
        const got = replayOf(r)([{ counter: 0, start: t - 1800, end: t - 1300 }], [], period, left);
        replayed = got;
        left -= got?.cycles ?? 0;
        clock.advance((5 - left) * period);
      }
      for (let i = 0; i < left; i++) cycle();
      return { replayed, counter: io0.readl(REG.PMEVCNTR), irqTimes: r.irqTimes };
    };
    const stepped = outcome(false);
    const irqTimes = Array.from({ length: 7 }, (_, i) => 1300 + i * period);
    expect(stepped).to.deep.equal({ replayed: 'not asked', counter: 200, irqTimes });
    expect(outcome(true)).to.deep.equal({ ...stepped, replayed: undefined });
  });

  it("the copies' runs move with them: once their time has passed, the last copy is the cycle the device repeats next", () => {
    // Counter 0 counts over [0, 1000) of each cycle. Asked at 4 us for 2 cycles, then at 8 us (nothing stepped in between) for the rest.
    const ask = (r: ReturnType<typeof rig>, replay: Replay, left: number) => {
      const first = copies(r, replay, 2, 0, 1000);
      const second = copies(r, replay, left - first.cycles, 0, 1000);
      return { cycles: first.cycles + second.cycles, events: first.events + second.events };
    };
    expect(slices(0, 1000)).to.deep.equal({ events: 7000, counter: 0x1000 + 1000, replayed: 0 });
    expect(slices(0, 1000, ask)).to.deep.equal({ events: 7000, counter: 0x1000 + 1000, replayed: 5 });
    // The same asked with the third cycle begun (counter 0 counting from its preload, active): its run in progress moves too. The
    // copies are cycles 3-4, then 5-6; the seventh is stepped, its preload written again over the moved run.
    const active = (r: ReturnType<typeof rig>, replay: Replay, left: number) => {
      r.io0.writel(0x1000, REG.PMEVCNTR);
      r.io0.writel(1, REG.PMCNTENSET);
      const first = copies(r, replay, 2, 0, 1000, [0]);
      const second = copies(r, replay, left - first.cycles - 1, 0, 1000, [0]);
      return { cycles: first.cycles + second.cycles, events: first.events + second.events };
    };
    expect(slices(0, 1000, active)).to.deep.equal({ events: 7000, counter: 0x1000 + 1000, replayed: 4 });
  });
});
