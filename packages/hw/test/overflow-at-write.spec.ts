// Tests that an overflow found by a register write's fold, rather than by the counter's overflow timer, still raises the interrupt.
import { expect } from 'chai';
import { PMCR, REG, type WorkloadSpec } from '../src/index.js';
import { rig } from './helpers.js';

const CNT0 = REG.PMEVCNTR;
/** Counter 0 is preloaded 16 events short of its wrap and enabled at 1000 ns; at 1 event/ns it wraps at 1016 ns. */
const WRAP_AT = 1016;

/** Event 0x11 at 1 per ns while PMIMPDEF0 is 0, a quarter of that while it is 2. */
const WORKLOAD: WorkloadSpec = {
  name: 'impdef-rate',
  phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, values: { field: 'impdef0:0-7', rates: { '0': 1e9, '2': 2.5e8 } } }] }],
};

type Io = ReturnType<typeof rig>['io0'];

/** A device whose handler records the overflow status it sees and clears it, as the driver's handler does. */
function wrapRig(accessLatencyNs = 0, handled = true) {
  const r = rig({ accessLatencyNs }, WORKLOAD);
  const seen: number[] = [];
  if (handled)
    r.handleIrqs(() => {
      const v = r.io0.readl(REG.PMOVSCLR);
      seen.push(v);
      r.io0.writel(v, REG.PMOVSCLR);
    });
  r.io0.writel(0x11, REG.PMEVTYPER);
  r.io0.writel(0xfffffff0, CNT0);
  r.io0.writel(0x1, REG.PMINTENSET);
  r.io0.writel(0x1, REG.PMCNTENSET);
  r.clock.advanceTo(1000);
  return { ...r, seen };
}

describe('CoreSight PMU model: an overflow a write folds in raises the interrupt', () => {
  // Each write folds counter 0 as it wraps, then restarts it (which cancels its overflow timer); the count is 1000 ns later.
  for (const [what, write, count] of [
    ['a PMCR write clearing E', (io: Io) => io.writel(0, REG.PMCR), 0],
    ['a PMCNTENCLR write', (io: Io) => io.writel(0x1, REG.PMCNTENCLR), 0],
    ['a PMEVCNTR write', (io: Io) => io.writel(0x100, CNT0), 0x100 + 1000],
    ['a PMEVTYPER write', (io: Io) => io.writel(0x99, REG.PMEVTYPER), 0],
    ['a PMIMPDEF write changing the rate', (io: Io) => io.writel(2, REG.PMIMPDEF), 250],
  ] as const) {
    it(`${what} at the exact wrap instant, before the overflow timer fires, sets PMOVS and raises the interrupt once`, () => {
      const { io0, clock, dev, irqTimes, seen } = wrapRig();
      // Armed before the counter's own overflow timer, for the same instant: it runs first (ties fire in arming order).
      clock.at(WRAP_AT, () => write(io0));
      io0.writel(PMCR.E, REG.PMCR);
      clock.advanceTo(WRAP_AT + 1000);
      // The handler ran at the wrap, saw counter 0's overflow bit and cleared it, which lowered the line.
      expect(irqTimes).to.deep.equal([WRAP_AT]);
      expect(seen).to.deep.equal([0x1]);
      expect(dev.irqLineAsserted).to.equal(false);
      expect(io0.readl(CNT0)).to.equal(count);
      expect(dev.overflows).to.equal(1);
    });
  }

  it('without a handler, the line stays asserted and PMOVSSET shows the overflow a PMCNTENCLR write folded in', () => {
    const { io0, clock, dev, kernel, irq } = wrapRig(0, false);
    clock.at(WRAP_AT, () => io0.writel(0x1, REG.PMCNTENCLR));
    io0.writel(PMCR.E, REG.PMCR);
    clock.advanceTo(WRAP_AT + 1000);
    expect(io0.readl(REG.PMOVSSET)).to.equal(0x1);
    expect(dev.irqLineAsserted).to.equal(true);
    expect(kernel.irqs.stats(irq).unhandled).to.equal(1);
  });

  it('a PMEVTYPER write whose fold wraps the counter under freeze-on-overflow freezes the counters and asserts the line at the write', () => {
    const { io0, clock, dev, kernel, irq } = rig({ fzo: true }, WORKLOAD);
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0xfffffff0, CNT0);
    io0.writel(0x1, REG.PMINTENSET);
    io0.writel(0x1, REG.PMCNTENSET);
    clock.advanceTo(1000);
    let assertedAtWrite: boolean | undefined;
    clock.at(WRAP_AT, () => {
      io0.writel(0x99, REG.PMEVTYPER);
      assertedAtWrite = dev.irqLineAsserted;
    });
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advanceTo(WRAP_AT + 1000);
    // The fold set the overflow bit and froze the counters (which stopped counter 0 at its wrap): the write itself drives the line.
    expect(assertedAtWrite).to.equal(true);
    expect(io0.readl(REG.PMOVSSET)).to.equal(0x1);
    expect(io0.readl(CNT0)).to.equal(0);
    expect(dev.overflows).to.equal(1);
    expect(kernel.irqs.stats(irq).unhandled).to.equal(1);
  });

  for (const [what, write, count] of [
    ['a PMCNTENCLR write', (io: Io) => io.writel(0x1, REG.PMCNTENCLR), 4],
    ['a PMCR write clearing E and resetting the event counters', (io: Io) => io.writel(PMCR.P, REG.PMCR), 0],
  ] as const) {
    it(`${what} whose fold passes the wrap (bus latency puts the device ahead of the clock) asserts the line at the write`, () => {
      const { io0, clock, dev, irqTimes, seen } = wrapRig(10);
      io0.writel(PMCR.E, REG.PMCR);
      clock.advanceTo(WRAP_AT - 6);
      // This read is at 1010 ns; the write right behind it reaches the device 10 ns later, at 1020 ns, past the wrap.
      expect(io0.readl(CNT0)).to.equal(0xfffffffa);
      write(io0);
      expect(irqTimes).to.deep.equal([WRAP_AT - 6]);
      expect(seen).to.deep.equal([0x1]);
      clock.advanceTo(WRAP_AT + 1000);
      expect(irqTimes).to.have.length(1);
      expect(io0.readl(CNT0)).to.equal(count);
      expect(dev.irqLineAsserted).to.equal(false);
    });
  }
});
