// Tests that a PMINTENSET/CLR write moves the overflow line exactly when an enable it changed has its overflow bit set, in every word.
import { expect } from 'chai';
import { REG } from '../src/index.js';
import { rig } from './helpers.js';

describe('CoreSight PMU device model: interrupt enables and the overflow line', () => {
  /** 40 counters (two words of each set/clear group), no cycle counter; how often the device raised its line (no handler: it stays up). */
  function twoWords() {
    const r = rig({ counters: 40, cycleCounter: false });
    const irqs = r.kernel.irqs;
    const raise = irqs.raise.bind(irqs);
    let raised = 0;
    irqs.raise = (irq: number) => {
      raised++;
      raise(irq);
    };
    return { ...r, rises: () => raised };
  }

  it("raises and lowers the line by the word written: an enable in word 1 concerns word 1's overflow bits, not word 0's", () => {
    const { io0, dev, rises } = twoWords();
    io0.writel(1 << 2, REG.PMOVSSET + 4); // counter 34 overflowed, its interrupt disabled
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(1 << 7, REG.PMINTENSET); // counter 7: no overflow pending
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(1 << 3, REG.PMINTENSET + 4); // counter 35: no overflow pending
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(1 << 2, REG.PMINTENSET + 4); // counter 34: pending, so the line rises at this write
    expect(dev.irqLineAsserted).to.equal(true);
    expect(rises()).to.equal(1);
    io0.writel(1 << 7, REG.PMINTENCLR); // counter 7's enable: the line stays up
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(1 << 2, REG.PMINTENCLR + 4); // counter 34's: down
    expect(dev.irqLineAsserted).to.equal(false);
    expect(io0.readl(REG.PMINTENSET + 4)).to.equal(1 << 3);
  });

  it('an enable written again over a pending overflow leaves the line as it is; clearing one of two enabled pending overflows keeps it up', () => {
    const { io0, dev, rises } = twoWords();
    io0.writel((1 << 0) | (1 << 5), REG.PMOVSSET);
    io0.writel(1 << 0, REG.PMINTENSET);
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(1 << 0, REG.PMINTENSET);
    expect(rises()).to.equal(1);
    io0.writel(1 << 5, REG.PMINTENSET);
    io0.writel(1 << 0, REG.PMINTENCLR);
    expect(dev.irqLineAsserted).to.equal(true);
    io0.writel(1 << 5, REG.PMINTENCLR);
    expect(dev.irqLineAsserted).to.equal(false);
    // Clearing an enable whose overflow is not pending, and setting one whose overflow was cleared: still down.
    io0.writel(1 << 5, REG.PMOVSCLR);
    io0.writel(1 << 5, REG.PMINTENSET);
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(1 << 0, REG.PMINTENSET);
    expect(dev.irqLineAsserted).to.equal(true);
    expect(rises()).to.equal(2);
  });
});
