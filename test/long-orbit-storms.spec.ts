// Overflow storms whose phase orbit is too long to follow (10^9 and 4*10^9 phases): in closed form end to end, within a work budget, with the counts of delivering every interrupt.

import { BUILTIN_PLATFORMS, type PlatformSpec, ratePerNs, stormCycles } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { widthsPlatform } from './helpers/platforms.js';
import { runStorm } from './helpers/storms.js';

/** Counters of the given widths at `hz`, on the arm-generic CPUs. */
function widthsAt(hz: number, widths: readonly number[]): PlatformSpec {
  const all = widthsPlatform(hz);
  return { ...all, cpus: BUILTIN_PLATFORMS['arm-generic']!.cpus, pmus: all.pmus.filter((p) => widths.includes(p.counterBits!)) } as PlatformSpec;
}

/**
 * What a w-bit counter preloaded with 2^(w-1) - 1 counts over `ns` from phase 0 at n/d events a ns, from
 * the storm's cycles (their overshoots in closed form, which storm-scan.spec checks against stepping):
 * Linux's fold (now - prev) & mask at each overflow, now being the overshoot, and at the end.
 */
function foldedCount(n: number, d: number, w: number, ns: number): { overflows: number; count: bigint } {
  const mask = (1n << BigInt(w)) - 1n;
  const prev = (1n << BigInt(w - 1)) - 1n;
  const storm = stormCycles(n, d, 0, mask + 1n - prev, ns)!;
  let count = 0n;
  for (const [o, c] of storm.overshoots) count += BigInt(c) * ((BigInt(o) - prev) & mask);
  const events = (BigInt(n) * BigInt(ns)) / BigInt(d) - (BigInt(n) * BigInt(storm.ns)) / BigInt(d);
  return { overflows: storm.k, count: count + (events & mask) };
}

describe('Overflow storms with too many phases to follow, end to end', function () {
  this.timeout(600000);

  const rates = [1234567891, 1.1e9 + 0.25];
  it('the rates have 10^9 and 4*10^9 phases', () => {
    expect(ratePerNs(rates[0]!)).to.deep.equal({ n: 1234567891, d: 1e9 });
    expect(ratePerNs(rates[1]!)).to.deep.equal({ n: 4400000001, d: 4e9 });
  });

  for (const hz of rates) {
    it(`1-, 2- and 8-bit counters at ${hz}/s over 50 µs in slices: the counts, values, overflows and interrupts of one delivery at a time`, async () => {
      const slices = [20_000, 30_000, 1];
      const fast = await runStorm(widthsAt(hz, [1, 2, 8, 24]), slices, false, 3);
      const slow = await runStorm(widthsAt(hz, [1, 2, 8, 24]), slices, true, 3);
      expect(fast.counts).to.deep.equal(slow.counts);
      expect(fast.overflows).to.deep.equal(slow.overflows);
      expect(fast.values).to.deep.equal(slow.values);
      expect(fast.irqs).to.deep.equal(slow.irqs);
      expect(fast.work * 100).to.be.below(slow.work);
    });

    it(`1-, 2- and 8-bit counters at ${hz}/s over 1 s of virtual time: under 100 steps of work, and each cycle's fold as arithmetic gives it`, async () => {
      const { n, d } = ratePerNs(hz);
      const m = await Machine.boot({ platform: widthsAt(hz, [1, 2, 8, 24]), installed: [] });
      const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
      const mark = m.kernel.clock.work.steps;
      m.advance(1_000_000_000);
      expect(m.kernel.clock.work.since(mark)).to.be.below(100);
      const counts = evs.map((e) => m.perf.read(e).value);
      const overflows = m.platform.pmus.map((p) => m.hardware.device(p.label).overflows);
      await m.shutdown();
      // The 24-bit counter counts every event; the narrow ones lose what their folds cannot see.
      expect(counts[3]).to.equal(Math.floor((n * 1e9) / d));
      for (const [i, w] of [1, 2, 8].entries()) {
        const want = foldedCount(n, d, w, 1e9);
        expect(overflows[i], `${w}-bit overflows`).to.equal(want.overflows);
        expect(BigInt(counts[i]!), `${w}-bit count`).to.equal(want.count);
      }
    });

    it(`12- and 16-bit counters at ${hz}/s over 10^6 s of virtual time: under 1000 steps, each cycle's fold as arithmetic gives it`, async () => {
      const { n, d } = ratePerNs(hz);
      const m = await Machine.boot({ platform: widthsAt(hz, [12, 16]), installed: [] });
      const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
      const mark = m.kernel.clock.work.steps;
      m.advance(1e15);
      expect(m.kernel.clock.work.since(mark)).to.be.below(1000);
      const counts = evs.map((e) => BigInt(m.perf.read(e).value));
      const overflows = m.platform.pmus.map((p) => m.hardware.device(p.label).overflows);
      await m.shutdown();
      for (const [i, w] of [12, 16].entries()) {
        const want = foldedCount(n, d, w, 1e15);
        expect(overflows[i], `${w}-bit overflows`).to.equal(want.overflows);
        expect(counts[i], `${w}-bit count`).to.equal(want.count);
        expect(counts[i], `${w}-bit count`).to.equal((BigInt(n) * 10n ** 15n) / BigInt(d));
      }
    });
  }
});
