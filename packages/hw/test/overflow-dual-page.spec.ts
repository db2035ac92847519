// Tests that a dual-page PMU keeps its overflow status in page 1: a wrap sets it there, and the interrupt enables in page 0 are judged against it.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const CNT = (n: number) => REG.PMEVCNTR + n * 4;

describe('CoreSight PMU device model: overflow status on a dual-page PMU', () => {
  it('a wrap sets page 1’s PMOVS bit, and an interrupt enable in page 0 raises and lowers the line by it', () => {
    const { io0, io1, clock, dev } = rig({ dualPage: true });
    io0.writel(0x11, REG.PMEVTYPER); // 1 event per ns
    io1.writel(0xfffffff0, CNT(0));
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(20);
    // Wrapped after 16 events, its interrupt disabled: the bit is set in page 1 only, the line down.
    expect(io1.readl(CNT(0))).to.equal(4);
    expect(io1.readl(REG.PMOVSCLR)).to.equal(0x1);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0);
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(0x1, REG.PMINTENSET);
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(0x1, REG.PMINTENCLR);
    expect(dev.irqLineAsserted).to.equal(false);
    // An overflow set by software in page 1 counts the same.
    io1.writel(0x1, REG.PMOVSCLR);
    io1.writel(0x4, REG.PMOVSSET);
    io0.writel(0x4, REG.PMINTENSET);
    expect(dev.irqLineAsserted).to.equal(true);
    io1.writel(0x4, REG.PMOVSCLR);
    expect(dev.irqLineAsserted).to.equal(false);
  });
});
