// Tests that a PMCR write changing FZO works the freeze out again: counters are frozen exactly while FZO is set and an overflow is pending.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const CNT = (n: number) => REG.PMEVCNTR + n * 4;

describe('CoreSight PMU device model: PMCR.FZO over a pending overflow', () => {
  function counting() {
    const r = rig({ fzo: true });
    const { io0 } = r;
    io0.writel(0x11, REG.PMEVTYPER); // 1 event per ns
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(0x1, REG.PMINTENSET);
    io0.writel(0x3, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    return r;
  }
  const counts = (io0: ReturnType<typeof rig>['io0']) => [io0.readl(CNT(0)), io0.readl(CNT(1))];

  it('setting FZO while an overflow is pending freezes the counters from that write; clearing it resumes them from that write', () => {
    const { io0, clock, dev } = counting();
    clock.advance(10);
    io0.writel(0x1, REG.PMOVSSET);
    // FZO clear: the pending overflow freezes nothing.
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([20, 20]);
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advance(30);
    expect(counts(io0)).to.deep.equal([20, 20]);
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(5);
    expect(counts(io0)).to.deep.equal([25, 25]);
    expect(dev.irqLineAsserted).to.equal(true);
    // Set again, still pending: frozen again; the overflow cleared: they count on.
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advance(7);
    expect(counts(io0)).to.deep.equal([25, 25]);
    io0.writel(0x1, REG.PMOVSCLR);
    expect(dev.irqLineAsserted).to.equal(false);
    clock.advance(3);
    expect(counts(io0)).to.deep.equal([28, 28]);
  });

  it('a freeze started by an overflow under FZO ends when FZO is cleared, with the overflow still pending', () => {
    const { io0, clock, dev } = counting();
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    io0.writel(0xfffffff0, CNT(0));
    clock.advance(100);
    // Counter 0 wrapped after 16 events and froze both.
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x1);
    expect(counts(io0)).to.deep.equal([0, 100 - 84]);
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(9);
    expect(counts(io0)).to.deep.equal([9, 25]);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x1);
    expect(dev.irqLineAsserted).to.equal(true);
  });

  it('with E clear, an FZO change starts nothing; E set later counts only if no freeze holds', () => {
    const { io0, clock } = counting();
    io0.writel(0, REG.PMCR);
    io0.writel(0x1, REG.PMOVSSET);
    io0.writel(PMCR.FZO, REG.PMCR);
    clock.advance(10);
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([0, 0]);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(4);
    expect(counts(io0)).to.deep.equal([4, 4]);
  });
});
