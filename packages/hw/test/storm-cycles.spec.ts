// Tests that an overflow storm's cycles, computed from the orbit of their start phase, are those found by stepping one cycle at a time.
import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_ORBIT_PHASES, stormCycles } from '../src/storm-cycles.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

/** One cycle at a time, in BigInt: from each start, the first ns by which perCycle more events have come, and the events past them. */
function stepped(n: number, d: number, phase: number, perCycle: bigint, maxNs: number) {
  const [bn, bd] = [BigInt(n), BigInt(d)];
  // A start time whose phase is `phase`: n is invertible mod d.
  let t0 = 0n;
  while (Number((t0 * bn) % bd) !== phase) t0++;
  let t = t0;
  let k = 0;
  const overshoots = new Map<number, number>();
  for (;;) {
    const e = (t * bn) / bd;
    const next = ((e + perCycle) * bd + bn - 1n) / bn;
    if (Number(next - t0) > maxNs) break;
    const o = Number((next * bn) / bd - e - perCycle);
    overshoots.set(o, (overshoots.get(o) ?? 0) + 1);
    k++;
    t = next;
  }
  return { k, ns: Number(t - t0), overshoots };
}

describe('Overflow storm cycles', () => {
  before(() => console.log(`      storm cycles property seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('match stepping for any rate above one event a ns, start phase, cycle size and limit', () => {
    const rate = fc
      .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 700 }))
      .map(([d, extra]) => ({ n: d + extra, d }))
      .filter(({ n, d }) => gcd(n, d) === 1);
    fc.assert(
      fc.property(rate, fc.nat(), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 4000 }), ({ n, d }, p, perCycle, maxNs) => {
        const phase = p % d;
        const got = stormCycles(n, d, phase, BigInt(perCycle), maxNs);
        const want = stepped(n, d, phase, BigInt(perCycle), maxNs);
        if (got === undefined) {
          // Refused only when two of the shortest cycles cannot fit.
          expect(2 * (Math.ceil((perCycle * d) / n) - 1)).to.be.above(maxNs);
          expect(want.k).to.be.below(2);
          return;
        }
        expect({ k: got.k, ns: got.ns, overshoots: got.overshoots }).to.deep.equal(want);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('follow an orbit of up to MAX_ORBIT_PHASES phases, count longer ones otherwise, and count 64-bit cycles exactly', () => {
    expect(stormCycles(MAX_ORBIT_PHASES + 1, MAX_ORBIT_PHASES + 1, 0, 2n, 1e6)).to.equal(undefined);
    // One phase more than is followed: the steps are a walker's over the ns, not the orbit's 65537 (see storm-scan.spec).
    const past = stormCycles(MAX_ORBIT_PHASES + 2, MAX_ORBIT_PHASES + 1, 3, 2n, 1e6)!;
    expect(past.steps).to.be.below(MAX_ORBIT_PHASES / 16);
    expect({ k: past.k, ns: past.ns, overshoots: past.overshoots }).to.deep.equal(stepped(MAX_ORBIT_PHASES + 2, MAX_ORBIT_PHASES + 1, 3, 2n, 1e6));
    const followed = stormCycles(MAX_ORBIT_PHASES + 1, MAX_ORBIT_PHASES, 0, 2n, 1e6)!;
    expect(followed.steps).to.be.above(MAX_ORBIT_PHASES);
    expect({ k: followed.k, ns: followed.ns, overshoots: followed.overshoots }).to.deep.equal(stepped(MAX_ORBIT_PHASES + 1, MAX_ORBIT_PHASES, 0, 2n, 1e6));
    // 2^63 + 1 events a cycle at 6/5 events a ns: past exact doubles, but cycles of some 7.7*10^18 ns.
    const wide = stormCycles(6, 5, 0, 2n ** 63n + 1n, Number.MAX_SAFE_INTEGER);
    expect(wide).to.equal(undefined);
    const want = stepped(6, 5, 3, 2n ** 50n + 1n, 2 ** 52);
    const got = stormCycles(6, 5, 3, 2n ** 50n + 1n, 2 ** 52)!;
    expect({ k: got.k, ns: got.ns, overshoots: got.overshoots }).to.deep.equal(want);
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
