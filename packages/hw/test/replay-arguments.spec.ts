// Tests of the replay service's argument checks: a period or cycle budget it cannot repeat exactly is refused, and refusing changes nothing.
import { expect } from 'chai';
import { REG } from '../src/index.js';
import { twoCycles } from './two-cycles.js';

describe('CoreSight PMU model: replay arguments', () => {
  it('a period that is not a whole positive number of ns, or a budget under one cycle, is refused and leaves the counter and clock as they were', () => {
    const lastCycle = (r: ReturnType<typeof twoCycles>) => [{ counter: 0, start: r.t - r.period, end: r.t - r.period / 2 }];
    const refusals: [number, number][] = [
      [2000.5, 5],
      [Number.NaN, 5],
      [Number.POSITIVE_INFINITY, 5],
      [-2000, 5],
      [2000, 0],
      [2000, 0.5],
      [2000, Number.NaN],
    ];
    for (const [period, maxCycles] of refusals) {
      const r = twoCycles();
      expect(r.replay(lastCycle(r), [0], period, maxCycles), `period ${period}, maxCycles ${maxCycles}`).to.equal(undefined);
      expect(r.clock.now(), `period ${period}`).to.equal(r.t);
      expect(r.io0.readl(REG.PMEVCNTR), `period ${period}`).to.equal(0x1000);
    }
    // The same request with the cycle's own period and a whole budget is replayed.
    const r = twoCycles();
    expect(r.replay(lastCycle(r), [0], r.period, 5)?.cycles).to.equal(5);
  });

  it('a period the window checks cannot see is refused too: none named and a negative period, or a fractional one whose copies span whole ns', () => {
    const lastCycle = (r: ReturnType<typeof twoCycles>) => [{ counter: 0, start: r.t - r.period, end: r.t - r.period / 2 }];
    // With no window named, nothing compares the period with a slice's age: counter 0 would be restarted 10 us back and read 0x1000 + 10000.
    // With a window and a period of 2000.5 ns, two copies span 4001 ns: the sums would throw a RangeError, not refuse.
    const cases: [string, (r: ReturnType<typeof twoCycles>) => ReturnType<typeof lastCycle>, number, number][] = [
      ['no window', () => [], -2000, 5],
      ['no window', () => [], 2000.5, 2],
      ['last cycle', lastCycle, 2000.5, 2],
    ];
    for (const [what, windows, period, maxCycles] of cases) {
      const r = twoCycles();
      expect(r.replay(windows(r), [0], period, maxCycles), `${what}, period ${period}`).to.equal(undefined);
      expect(r.clock.now()).to.equal(r.t);
      expect(r.io0.readl(REG.PMEVCNTR), `${what}, period ${period}`).to.equal(0x1000);
      r.clock.advance(r.period / 2);
      expect(r.io0.readl(REG.PMEVCNTR), `${what}, period ${period}`).to.equal(0x1000 + 1000);
    }
  });
});
