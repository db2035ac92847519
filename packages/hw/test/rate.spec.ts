// Tests that rate functions count exactly at any time and invert exactly, far beyond 2^53.
import { expect } from 'chai';
import fc from 'fast-check';
import { ConstantRate, mulDivFloor, PhasedRate } from '../src/index.js';

describe('Rate functions', () => {
  it('mulDivFloor is exact where t*n is far above 2^53', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 1e13 }), fc.integer({ min: 1, max: 1e9 }), (t, n, d) => {
        expect(mulDivFloor(t, n, d)).to.equal(Number((BigInt(t) * BigInt(n)) / BigInt(d)));
      }),
      { numRuns: 5000 },
    );
  });

  it('counts exactly at any time for any whole rate (the fuzzer found an off-by-one here)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), fc.integer({ min: 0, max: 1e12 }), (t, rate) => {
        expect(new ConstantRate(rate).at(t)).to.equal(Number((BigInt(t) * BigInt(rate)) / 1000000000n));
      }),
      { numRuns: 5000 },
    );
    expect(new ConstantRate(1e9).at(4611797637)).to.equal(4611797637);
  });

  it('finds the exact first time a count is reached', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e12 }), fc.integer({ min: 1, max: 2 ** 40 }), (rate, n) => {
        const f = new ConstantRate(rate);
        const t = f.when(n);
        if (t === Infinity) {
          // Not reachable within 2^53 ns.
          expect(f.at(Number.MAX_SAFE_INTEGER)).to.be.lessThan(n);
          return;
        }
        expect(f.at(t)).to.be.at.least(n);
        if (t > 0) expect(f.at(t - 1)).to.be.lessThan(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('sums whole phases exactly and repeats them', () => {
    const f = new PhasedRate([100, 50], [1e9, 3e9], true);
    // 10^12 ns is 6,666,666,666 whole 150 ns periods and 100 ns into the next.
    expect([f.at(100), f.at(150), f.at(300), f.at(1e12)]).to.deep.equal([100, 250, 500, 6666666666 * 250 + 100]);
  });
});
