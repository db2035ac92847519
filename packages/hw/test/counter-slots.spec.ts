// Tests of the model's dense per-counter slots: a counter the device does not have never reaches another counter's state.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

type Replay = (w: { counter: number; start: number; end: number }[], active: number[], period: number, max: number) => { cycles: number } | undefined;

/**
 * Four counters (0-2 and the cycle counter, 31): counter 0 counts event
 * 0x11 (1 GHz) from a preload for the first half of each 2 us cycle, twice,
 * then starts a third cycle. Counter 5 does not exist; its slot would be
 * counter 0's if nothing checked.
 */
function twoCycles() {
  const r = rig({ counters: 4 });
  const { io0, clock } = r;
  const period = 2000;
  const start = () => {
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
  };
  io0.writel(0x11, REG.PMEVTYPER);
  io0.writel(PMCR.E, REG.PMCR);
  for (let i = 0; i < 2; i++) {
    start();
    clock.advance(period / 2);
    io0.writel(1, REG.PMCNTENCLR);
    clock.advance(period / 2);
  }
  start();
  const t = clock.now();
  const service = r.dev.page0.service as { replay: Replay };
  const replay: Replay = (w, a, p, m) => service.replay(w, a, p, m);
  return { ...r, period, t, replay };
}

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
