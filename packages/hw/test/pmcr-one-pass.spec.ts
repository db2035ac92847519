// Tests that a PMCR write folds and restarts the enabled counters in one pass with the counts, overflow bits and freeze of folding them all first.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const CNT = (n: number) => REG.PMEVCNTR + 4 * n;

/** Counters 0 and 2 count event 0x11 (1 per ns) under FZO from 1000 ns; counter 2 starts 16 events short of its wrap, so it wraps at 1016 ns. */
function twoCounters() {
  const r = rig({ fzo: true });
  for (const p of [0, 2]) r.io0.writel(0x11, REG.PMEVTYPER + 4 * p);
  r.io0.writel(0xfffffff0, CNT(2));
  r.io0.writel(0x5, REG.PMCNTENSET);
  r.clock.advanceTo(1000);
  return r;
}

describe('CoreSight PMU model: a PMCR write folds and restarts the enabled counters in one pass', () => {
  it('clearing E as the second counter wraps: the first keeps its count, the wrap freezes the counters, and nothing more is restarted', () => {
    const { io0, clock, dev } = twoCounters();
    const idle = clock.pendingTimers;
    let restarts = -1;
    // Armed before counter 2's overflow timer, for the same instant: the write's fold finds the wrap (ties fire in arming order).
    clock.at(1016, () => {
      const before = dev.restarts;
      io0.writel(PMCR.FZO, REG.PMCR);
      restarts = dev.restarts - before;
    });
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advanceTo(1100);
    // Counter 0 folded 16 events before it stopped; counter 2 wrapped to 0. One restart per enabled counter, and one per implemented
    // counter (four event counters and the cycle counter) for the freeze: what folding both before restarting either gives.
    expect([io0.readl(CNT(0)), io0.readl(CNT(2)), io0.readl(REG.PMOVSSET), dev.overflows, restarts]).to.deep.equal([16, 0, 0x4, 1, 2 + 5]);
    // Counter 2's overflow timer went with it.
    expect(clock.pendingTimers).to.equal(idle);
    // E again: the freeze holds them until the overflow is cleared, and they count on from then.
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advanceTo(1200);
    expect([io0.readl(CNT(0)), io0.readl(CNT(2))]).to.deep.equal([16, 0]);
    io0.writel(0x4, REG.PMOVSCLR);
    clock.advanceTo(1300);
    expect([io0.readl(CNT(0)), io0.readl(CNT(2))]).to.deep.equal([116, 100]);
  });

  it('a write that changes FZO folds every enabled counter before it works out the freeze, then restarts them', () => {
    const { io0, clock, dev } = twoCounters();
    io0.writel(PMCR.E, REG.PMCR);
    // Counter 2 wraps at 1016 ns with FZO clear: its bit is set and nothing freezes.
    clock.advanceTo(1050);
    expect([io0.readl(REG.PMOVSSET), dev.overflows]).to.deep.equal([0x4, 1]);
    // Setting FZO with the overflow pending freezes them at this write: both keep what they counted up to it.
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advanceTo(1150);
    expect([io0.readl(CNT(0)), io0.readl(CNT(2))]).to.deep.equal([50, 34]);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advanceTo(1160);
    expect([io0.readl(CNT(0)), io0.readl(CNT(2))]).to.deep.equal([60, 44]);
  });
});
