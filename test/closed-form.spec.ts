// Overflow storms in closed form: identical results to delivering every interrupt, within a step budget.

import { BUILTIN_PLATFORMS, type PlatformSpec, ratePerNs } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { widthsPlatform } from './helpers/platforms.js';
import { runStorm } from './helpers/storms.js';

describe('Overflows in closed form', function () {
  this.timeout(120000);

  // Multiples and divisors of 1 GHz, and rates whose overflows fall at a different phase of a nanosecond each time.
  for (const hz of [1e9, 1.5e9, 3e9, 104166666.67, 999999937, 1e9 / 3]) {
    it(`widths 1-64 at ${hz} Hz: the same counts, values, overflows and interrupt statistics as one delivery at a time`, async () => {
      const slices = [7_000, 1, 13_001, 9_999];
      const fast = await runStorm(widthsPlatform(hz), slices, false);
      const slow = await runStorm(widthsPlatform(hz), slices, true);
      expect(fast.counts).to.deep.equal(slow.counts);
      expect(fast.overflows).to.deep.equal(slow.overflows);
      expect(fast.values).to.deep.equal(slow.values);
      expect(fast.irqs).to.deep.equal(slow.irqs);
      expect(fast.overflows[1]).to.be.above(hz / 1e9 > 0.5 ? 5000 : 1000);
      expect(fast.work * 20).to.be.below(slow.work);
    });
  }

  it('a 1-bit counter over 1 s of virtual time, and a 24-bit one over 100 ms, take a handful of steps and count exactly', async () => {
    const base = BUILTIN_PLATFORMS['arm-generic']!;
    const platform = { ...widthsPlatform(), pmus: widthsPlatform().pmus.filter((p) => p.counterBits === 1 || p.counterBits === 24) } as PlatformSpec;
    const m = await Machine.boot({ platform: { ...platform, cpus: base.cpus }, installed: [] });
    const [w1, w24] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const mark = m.kernel.clock.work.steps;
    m.advance(100_000_000);
    expect(m.perf.read(w24!).value).to.equal(100_000_000);
    m.advance(900_000_000);
    expect(m.kernel.clock.work.since(mark)).to.be.below(100);
    expect(m.hardware.device('w1').overflows).to.equal(500_000_000);
    expect(m.kernel.irqs.stats(101).handled).to.equal(500_000_000);
    // At one bit Linux's fold of (now - prev) & mask sees 0 for every 2-event period.
    expect(m.perf.read(w1!).value).to.equal(0);
    expect(m.perf.read(w24!).value).to.equal(1_000_000_000);
  });

  it('1.25 GHz, counters opened at each phase of a nanosecond: the replayed cycles follow from the phase they start at', async () => {
    // Opened 2 ns in, a 4-bit counter's first cycles start at phases 2 and 1 of 4, then settle at 0 with one more event per overflow.
    for (const openAt of [0, 1, 2, 3]) {
      const fast = await runStorm(widthsPlatform(1.25e9), [20_000], false, openAt);
      const slow = await runStorm(widthsPlatform(1.25e9), [20_000], true, openAt);
      expect(fast.counts, `opened at ${openAt} ns`).to.deep.equal(slow.counts);
      expect(fast.irqs).to.deep.equal(slow.irqs);
      // Every width is replayed, whether its phase settles on one value or cycles through several.
      expect(fast.work * 20).to.be.below(slow.work);
    }
  });

  it('1.25 GHz, counters rewritten mid-cycle by a disable and enable: the cycle that follows is not the one to replay', async () => {
    // A rewrite at a time 1 mod 4 ns starts a cycle at phase 1, which ends at the settled phase 0 with one event fewer past the top.
    const disturbed = async (stepwise: boolean, at: number) => {
      const m = await Machine.boot({ platform: widthsPlatform(1.25e9), installed: [] });
      if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
      const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
      m.advance(at);
      for (const e of evs) m.perf.disable(e);
      for (const e of evs) m.perf.enable(e);
      m.advance(20_000);
      return evs.map((e) => m.perf.read(e).value);
    };
    for (const at of [3001, 3005, 3009, 3013]) expect(await disturbed(false, at), `rewritten at ${at} ns`).to.deep.equal(await disturbed(true, at));
  });

  it('a 1-bit and a 24-bit counter over 1 s at a fractional rate (104166666.67/s, as grace-stream has): a handful of steps, exact counts', async () => {
    const base = BUILTIN_PLATFORMS['arm-generic']!;
    const all = widthsPlatform(104166666.67);
    const platform = { ...all, cpus: base.cpus, pmus: all.pmus.filter((p) => p.counterBits === 1 || p.counterBits === 24) } as PlatformSpec;
    const m = await Machine.boot({ platform, installed: [] });
    const [w1, w24] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const mark = m.kernel.clock.work.steps;
    m.advance(1_000_000_000);
    expect(m.kernel.clock.work.since(mark)).to.be.below(100);
    // The rate is an exact fraction: floor(10^9 ns * rate) events, and a 1-bit counter overflows every 2 of them.
    const { n, d } = ratePerNs(104166666.67);
    const events = Number((1_000_000_000n * BigInt(n)) / BigInt(d));
    expect(m.hardware.device('w1').overflows).to.equal(Math.floor(events / 2));
    expect(m.kernel.irqs.stats(101).handled).to.equal(Math.floor(events / 2));
    // Each whole 2-event period folds to 0 at one bit; an odd last event is still in the counter and reads as 1.
    expect(m.perf.read(w1!).value).to.equal(events % 2);
    expect(m.perf.read(w24!).value).to.equal(events);
  });
});
