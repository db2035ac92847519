// Tests that storms with too many phases to follow (scanned, divided or stepped) give the cycles stepping finds, and the orbit walk's where both apply.
import { expect } from 'chai';
import fc from 'fast-check';
import { longStormCycles, MAX_ORBIT_PHASES, MAX_SCANNED_STATES, MAX_STEPPED_CYCLES, stormCycles } from '../src/storm-cycles.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

/** One cycle at a time, in BigInt, from the phase: each cycle lasts until perCycle more events have come, and counts those past them. */
function stepped(n: number, d: number, phase: number, perCycle: bigint, maxNs: number, most = Infinity) {
  const [bn, bd] = [BigInt(n), BigInt(d)];
  let p = BigInt(phase);
  let ns = 0n;
  let k = 0;
  const overshoots = new Map<number, number>();
  while (k < most) {
    const len = (perCycle * bd - p + bn - 1n) / bn;
    if (Number(ns + len) > maxNs) break;
    const reached = p + bn * len;
    const o = Number(reached / bd - perCycle);
    overshoots.set(o, (overshoots.get(o) ?? 0) + 1);
    k++;
    ns += len;
    p = reached % bd;
  }
  return { k, ns: Number(ns), overshoots };
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const f = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - f * r1, s1, s0 - f * s1];
  }
  return ((s0 % m) + m) % m;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const cycles = (c: { k: number; ns: number; overshoots: ReadonlyMap<number, number> } | undefined) => c && { k: c.k, ns: c.ns, overshoots: c.overshoots };

/** Rates n/d events a ns (n > d, in lowest terms, n + d below 2^53) with d up to `maxD`. */
const rate = (minD: number, maxD: number) =>
  fc
    .tuple(fc.integer({ min: minD, max: maxD }), fc.double({ min: 0, max: 3, noNaN: true, noDefaultInfinity: true }), fc.nat())
    .map(([d, r, extra]) => ({ n: d + 1 + Math.floor(r * d) + (extra % 7), d }))
    .filter(({ n, d }) => gcd(n, d) === 1);
/** Events a cycle: 1-bit and 2-bit periods, small ones, ones whose cycles take 1024 ns and more, and a 32-bit period. */
const perCycle = fc.oneof(fc.constantFrom(1, 2, 3, 129, 2 ** 31 + 1), fc.integer({ min: 1, max: 3000 }));

describe('Overflow storms with too many phases to follow', function () {
  // Walkers of up to 10^5 states: a few seconds on a loaded machine. Work is bounded by the steps asserted, not by time.
  this.timeout(120000);
  before(() => console.log(`      long storm property seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('match stepping for rates with up to 4*10^9 phases, any start phase, cycle size and limit (seeded property)', () => {
    fc.assert(
      fc.property(rate(MAX_ORBIT_PHASES + 1, 4e9), fc.nat(), perCycle, fc.integer({ min: 0, max: 40_000 }), ({ n, d }, p, events, maxNs) => {
        const phase = p % d;
        const got = stormCycles(n, d, phase, BigInt(events), maxNs);
        const want = stepped(n, d, phase, BigInt(events), maxNs);
        if (got === undefined) {
          expect(want.k).to.be.below(2);
          return;
        }
        expect(cycles(got)).to.deep.equal(want);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('match the orbit walk over any limit up to 2^50 ns, for orbits short enough to walk (seeded property)', () => {
    fc.assert(
      fc.property(rate(1, 3000), fc.nat(), perCycle, fc.integer({ min: 0, max: 2 ** 50 }), ({ n, d }, p, events, maxNs) => {
        const phase = p % d;
        const walked = stormCycles(n, d, phase, BigInt(events), maxNs);
        const got = longStormCycles(n, d, phase, BigInt(events), maxNs);
        if (got === undefined) {
          expect(walked).to.equal(undefined);
          return;
        }
        // Cycles stepped because that is cheaper than scanning them go a bounded number a call: a prefix of the walk's.
        if (got.k === MAX_STEPPED_CYCLES) {
          expect(cycles(got)).to.deep.equal(cycles(stormCycles(n, d, phase, BigInt(events), got.ns)));
          return;
        }
        expect(cycles(got)).to.deep.equal(cycles(walked));
      }),
      { seed, numRuns: 300 },
    );
  });

  it('split anywhere, add up: the cycles to a limit are those to a cut and those after it from the phase reached (seeded property)', () => {
    fc.assert(
      fc.property(
        rate(MAX_ORBIT_PHASES + 1, 4e9),
        fc.nat(),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ n, d }, p, events, maxNs, at) => {
          const phase = p % d;
          const whole = longStormCycles(n, d, phase, BigInt(events), maxNs);
          const head = longStormCycles(n, d, phase, BigInt(events), Math.floor(maxNs * at));
          if (whole === undefined || head === undefined) return;
          const reached = Number((BigInt(phase) + BigInt(n) * BigInt(head.ns)) % BigInt(d));
          const tail = stormCycles(n, d, reached, BigInt(events), maxNs - head.ns);
          const sum = new Map(head.overshoots);
          for (const [o, c] of tail?.overshoots ?? []) sum.set(o, (sum.get(o) ?? 0) + c);
          expect({ k: head.k + (tail?.k ?? 0), ns: head.ns + (tail?.ns ?? 0), overshoots: sum }).to.deep.equal(cycles(whole));
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('1-, 2- and 8-bit periods at 1234567891/s and 1.1 GHz + 1/4 Hz over 1 s: a few hundred to some 10^4 state steps, as stepping counts', () => {
    for (const { n, d } of [
      { n: 1234567891, d: 1e9 },
      { n: 4400000001, d: 4e9 },
    ]) {
      for (const events of [2n, 3n, 129n]) {
        const second = stormCycles(n, d, 0, events, 1e9)!;
        expect(second.steps, `${n}/${d}, ${events}`).to.be.below(30_000);
        // Overflows in 1 s, about rate / events, and every event counted: whole cycles and their overshoots.
        const overshot = [...second.overshoots].reduce((sum, [o, c]) => sum + o * c, 0);
        const events1s = Math.floor((n * 1e9) / d) - Math.floor((n * (1e9 - second.ns)) / d);
        expect(Number(events) * second.k + overshot).to.be.at.most(events1s);
        const short = stormCycles(n, d, 0, events, 2e5)!;
        expect(cycles(short)).to.deep.equal(stepped(n, d, 0, events, 2e5));
      }
    }
    // 1-bit (2 events a cycle) at 1234567891/s: 530864218 overflows in 1 s, 172839455 of them one event past the top.
    expect(cycles(stormCycles(1234567891, 1e9, 0, 2n, 1e9))).to.deep.equal({
      k: 530864218,
      ns: 1e9,
      overshoots: new Map([
        [0, 358024763],
        [1, 172839455],
      ]),
    });
  });

  it('limits near 2^52 ns whose whole climbs end one phase short of a multiple: counted exactly', () => {
    // At 1234567891/s from phase 0 the first climb is 5 ns; the limit puts the rest's r*rest + start at -1 mod 10^9, past 2^80.
    const [r, start, q] = [234567891n, 172839455n, 1_000_000_000n];
    const inverse = modInverse(r, q);
    const rest = (((((-1n - start) % q) + q) * inverse) % q) + 4_500_000n * q;
    const limit = Number(rest) + 5;
    expect((r * rest + start) % q).to.equal(q - 1n);
    const whole = stormCycles(1234567891, 1e9, 0, 2n, limit)!;
    for (const cut of [limit / 3, limit / 2 + 17, 1e9]) {
      const head = stormCycles(1234567891, 1e9, 0, 2n, Math.floor(cut))!;
      const reached = Number((1234567891n * BigInt(head.ns)) % q);
      const tail = stormCycles(1234567891, 1e9, reached, 2n, limit - head.ns)!;
      const sum = new Map(head.overshoots);
      for (const [o, c] of tail.overshoots) sum.set(o, (sum.get(o) ?? 0) + c);
      expect({ k: head.k + tail.k, ns: head.ns + tail.ns, overshoots: sum }, `cut at ${cut}`).to.deep.equal(cycles(whole));
    }
  });

  it('a rotation of nearly a whole turn (2*10^9 - 1 or 10^9 + 1 events a ns per 10^9) takes a few levels, not one per phase', () => {
    for (const n of [2e9 - 1, 1e9 + 1, 3e9 - 7]) {
      const got = stormCycles(n, 1e9, 12345, 3n, 1e9)!;
      expect(got.steps, `${n}/10^9`).to.be.below(5_000);
      expect(cycles(stormCycles(n, 1e9, 12345, 3n, 3e4))).to.deep.equal(stepped(n, 1e9, 12345, 3n, 3e4));
    }
  });

  it('every cycle long (one event a cycle): divided, whatever the limit', () => {
    const got = longStormCycles(1234567891, 1e9, 5, 1n, 2 ** 52)!;
    expect(got.steps).to.equal(1);
    expect(got.k).to.equal(2 ** 52);
    expect(cycles(longStormCycles(1234567891, 1e9, 5, 1n, 30_000))).to.deep.equal(stepped(1234567891, 1e9, 5, 1n, 30_000));
  });

  it('cycles from 1024 ns to 10^5 ns long, scanned whatever the cost, match stepping (seeded property)', () => {
    fc.assert(
      fc.property(
        rate(MAX_ORBIT_PHASES + 1, 4e9),
        fc.nat(),
        fc.oneof(fc.integer({ min: 1024, max: 2 ** 13 }), fc.integer({ min: 1024, max: 2 ** 17 })),
        fc.integer({ min: 2, max: 60 }),
        ({ n, d }, p, events, cyclesLong) => {
          const phase = p % d;
          const maxNs = Math.floor((events * d * cyclesLong) / n);
          const got = longStormCycles(n, d, phase, BigInt(events), maxNs, 'scan');
          const want = stepped(n, d, phase, BigInt(events), maxNs);
          if (got === undefined) {
            expect(want.k).to.be.below(2);
            return;
          }
          expect(cycles(got)).to.deep.equal(want);
          expect(cycles(longStormCycles(n, d, phase, BigInt(events), maxNs, 'step'))).to.deep.equal(want);
          expect(cycles(stormCycles(n, d, phase, BigInt(events), maxNs))).to.deep.equal(want);
        },
      ),
      { seed, numRuns: 30 },
    );
  });

  it('12- and 16-bit periods (2^w and 2^(w-1) + 1 events) at 1234567891/s and 1.1 GHz + 1/4 Hz over 10^6 s: scanned in one call within a work budget, as stepping counts over 10^8 ns', () => {
    for (const { n, d } of [
      { n: 1234567891, d: 1e9 },
      { n: 4400000001, d: 4e9 },
    ]) {
      for (const [bits, events] of [12, 16].flatMap((w) => [w, w - 1].map((e) => [w, 2n ** BigInt(e) + BigInt(w - e)] as const))) {
        const cycleNs = Number(events) / (n / d);
        const long = stormCycles(n, d, 3, events, 1e15)!;
        // Every cycle within 10^15 ns in one call: stepping would need 10^15 / cycleNs cycles (over 10^9), a few million calls.
        expect(long.ns, `${bits}-bit at ${n}/${d}`).to.be.above(1e15 - 2 * cycleNs);
        expect(long.steps, `${bits}-bit at ${n}/${d}`).to.be.below(400 * 2 ** bits);
        // The events up to the last overflow: k whole cycles and their overshoots, the closed form's count.
        const overshot = [...long.overshoots].reduce((sum, [o, c]) => sum + BigInt(o) * BigInt(c), 0n);
        expect(events * BigInt(long.k) + overshot).to.equal((3n + BigInt(n) * BigInt(long.ns)) / BigInt(d));
        const head = stormCycles(n, d, 3, events, 1e8)!;
        expect(cycles(head)).to.deep.equal(stepped(n, d, 3, events, 1e8));
        expect(cycles(longStormCycles(n, d, 3, events, 1e8, 'scan'))).to.deep.equal(cycles(head));
      }
    }
  });

  it('a scan that would cost more than stepping, or need over MAX_SCANNED_STATES states, is stepped, at most MAX_STEPPED_CYCLES a call', () => {
    // 1024 events a cycle at 1234567891/s: cycles of 829 or 830 ns, scanned at any limit long enough.
    const scanned = stormCycles(1234567891, 1e9, 0, 1024n, 2 ** 50)!;
    expect(scanned.k).to.be.above(MAX_STEPPED_CYCLES);
    expect(scanned.steps).to.be.below(1e6);
    // 2^16 events a cycle over 2^29 ns: about 10^4 cycles, cheaper to step than a walker of 53,000 states.
    const few = stormCycles(1234567891, 1e9, 7, 2n ** 16n, 2 ** 29)!;
    expect(few.steps).to.equal(few.k + 1);
    expect(cycles(few)).to.deep.equal(stepped(1234567891, 1e9, 7, 2n ** 16n, 2 ** 29));
    // 2049 events a cycle (1659 or 1660 ns) over 4*10^8 ns: worth a dry run, which finds a scan (about 3*10^5 state steps) dearer than stepping 240,994 cycles.
    const dearer = stormCycles(1234567891, 1e9, 7, 2049n, 4e8)!;
    expect(dearer.steps - dearer.k - 1).to.be.within(1, 1000);
    expect(cycles(dearer)).to.deep.equal(stepped(1234567891, 1e9, 7, 2049n, 4e8));
    // Cycles of over MAX_SCANNED_STATES ns (not all of one length, which division would count) are stepped whatever the limit, a bounded number a call.
    const events = BigInt(Math.ceil((MAX_SCANNED_STATES * 1234567891) / 1e9) + 3);
    const long = stormCycles(1234567891, 1e9, 7, events, 2 ** 52)!;
    expect(long.k).to.equal(MAX_STEPPED_CYCLES);
    expect(long.steps).to.equal(MAX_STEPPED_CYCLES + 1);
    expect(cycles(long)).to.deep.equal(stepped(1234567891, 1e9, 7, events, 2 ** 52, MAX_STEPPED_CYCLES));
  });
});
