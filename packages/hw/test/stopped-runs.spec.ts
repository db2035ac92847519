// Tests that a stopped counter never has a run in progress, however it is reached: a preload while stopped, and a replay whose period reaches before time 0.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

type Replay = (w: { counter: number; start: number; end: number }[], active: number[], period: number, max: number) => { cycles: number } | undefined;
const replayOf = (r: ReturnType<typeof rig>) => {
  const service = r.dev.page0.service as { replay: Replay };
  return (w: Parameters<Replay>[0], a: number[], p: number, m: number) => service.replay(w, a, p, m);
};

describe('CoreSight PMU model: a stopped counter has no run in progress', () => {
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
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
    clock.advance(500);
    io0.writel(1, REG.PMCNTENCLR);
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
});
