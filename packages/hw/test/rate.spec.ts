// Tests that rate functions count exactly at any time and invert exactly, far beyond 2^53.
import { expect } from 'chai';
import fc from 'fast-check';
import { ConstantRate, MAX_RATE_DENOMINATOR, mulDivFloor, PhasedRate, rateFraction } from '../src/index.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

describe('Rate functions', () => {
  before(() => console.log(`      rate property seed ${seed} (CSPMU_SEED=${seed} replays it)`));
  it('mulDivFloor is exact where t*n is far above 2^53', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 1e13 }), fc.integer({ min: 1, max: 1e15 }), (t, n, d) => {
        expect(mulDivFloor(t, n, d)).to.equal(Number((BigInt(t) * BigInt(n)) / BigInt(d)));
      }),
      { seed, numRuns: 5000 },
    );
  });

  it('counts exactly at any time for any whole rate (the fuzzer found an off-by-one here)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), fc.integer({ min: 0, max: 1e12 }), (t, rate) => {
        expect(new ConstantRate(rate).at(t)).to.equal(Number((BigInt(t) * BigInt(rate)) / 1000000000n));
      }),
      { seed, numRuns: 5000 },
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
      { seed, numRuns: 2000 },
    );
  });

  it('sums whole phases exactly and repeats them', () => {
    const f = new PhasedRate([100, 50], [1e9, 3e9], true);
    // 10^12 ns is 6,666,666,666 whole 150 ns periods and 100 ns into the next.
    expect([f.at(100), f.at(150), f.at(300), f.at(1e12)]).to.deep.equal([100, 250, 500, 6666666666 * 250 + 100]);
  });

  it('takes a fractional rate as the fraction it stands for, so counts stay exact', () => {
    expect([104166666.66666667, 0.1, 0.5, 1e9 / 7, 2.5e8].map(rateFraction)).to.deep.equal([
      { p: 312500000, q: 3 },
      { p: 1, q: 10 },
      { p: 1, q: 2 },
      { p: 1e9, q: 7 },
      { p: 2.5e8, q: 1 },
    ]);
    // 10^9/3 per second for 3 s is 10^9 events, not 999,999,999; half an event per second for 10 s is 5.
    expect(new ConstantRate(1e9 / 3).at(3e9)).to.equal(1e9);
    expect(new ConstantRate(0.5).at(10e9)).to.equal(5);
    expect(new PhasedRate([4e9, 1e9], [0.25, 1e9 / 3], false).at(7e9)).to.equal(1 + 1e9);
    // A number no small fraction gives is its closest convergent within the bound.
    const pi = rateFraction(Math.PI);
    expect(pi.q).to.be.at.most(MAX_RATE_DENOMINATOR);
    expect(Math.abs(pi.p / pi.q - Math.PI)).to.be.below(1e-11);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1e15 }), (p, q, t) => {
        fc.pre(p / q <= 1e9);
        expect(new ConstantRate(p / q).at(t)).to.equal(Number((BigInt(t) * BigInt(p)) / (BigInt(q) * 1000000000n)));
      }),
      { seed, numRuns: 3000 },
    );
  });
});
