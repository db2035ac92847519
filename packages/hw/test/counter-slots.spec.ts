// Tests of the model's dense per-counter slots: a counter the device does not have never reaches another counter's state.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';
import { twoCycles } from './two-cycles.js';

describe('CoreSight PMU model: per-counter state by dense slot', () => {
  it('a rotation replay naming a counter the device lacks is refused, as a window or as an active counter', () => {
    const a = twoCycles();
    const window = (counter: number) => [{ counter, start: a.t - a.period, end: a.t - a.period / 2 }];
    expect(a.replay(window(5), [0], a.period, 5)).to.equal(undefined);
    expect(a.replay(window(0), [5], a.period, 5)).to.equal(undefined);
    expect(a.replay(window(0), [40], a.period, 5)).to.equal(undefined);
    expect(a.dev.counterValue(0)).to.equal(0x1000n);
    // The same cycle on the counter that ran it is replayed.
    const b = twoCycles();
    expect(b.replay(window(0), [0], b.period, 5)?.cycles).to.equal(5);
  });

  it('the cycle counter and the event counters below it each keep their own slot: counts, overflow times and runs stay apart', () => {
    // Slots 0-2 are counters 0-2 and slot 3 is the cycle counter (31).
    const { io0, clock, dev, handleIrqs, irqTimes } = rig({ counters: 4 });
    handleIrqs(() => io0.writel(0xffffffff, REG.PMOVSCLR));
    io0.writel(0x11, REG.PMEVTYPER + 4 * 2);
    io0.writel(PMCR.E, REG.PMCR);
    io0.writel(0xffffffff - 999, REG.PMEVCNTR + 4 * 2);
    io0.writel((1 << 31) | (1 << 2), REG.PMINTENSET);
    io0.writel((1 << 31) | (1 << 2), REG.PMCNTENSET);
    clock.advance(300);
    io0.writel((1 << 31) >>> 0, REG.PMCNTENCLR);
    clock.advance(900);
    // Counter 2 wrapped 1,000 ns in (its own preload); the cycle counter stopped at 300 and never overflowed.
    expect(irqTimes).to.deep.equal([1000]);
    expect([dev.counterValue(31), dev.counterValue(2), dev.counterValue(0), dev.counterValue(1)]).to.deep.equal([300n, 200n, 0n, 0n]);
  });
});
