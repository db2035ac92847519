// Overflow storms above one event a nanosecond in closed form: identical to delivering every interrupt where the phase never settles, within a step budget.

import { BUILTIN_PLATFORMS, type PlatformSpec, ratePerNs } from '@cspmu/hw';
import { type IrqReplayReads, KernelError } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';
import { widthsPlatform } from './helpers/platforms.js';
import { runStorm } from './helpers/storms.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

/** A 1-bit and a 24-bit cycle counter at `hz`, on the arm-generic CPUs. */
function narrowAndWide(hz: number): PlatformSpec {
  const all = widthsPlatform(hz);
  return { ...all, cpus: BUILTIN_PLATFORMS['arm-generic']!.cpus, pmus: all.pmus.filter((p) => p.counterBits === 1 || p.counterBits === 24) } as PlatformSpec;
}

describe('Overflow storms above 1 GHz in closed form', function () {
  this.timeout(600000);
  before(() => console.log(`      overflow storm property seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('widths 1-64 at rates whose phase never settles (seeded property): the same counts, values, overflows and interrupt statistics as one delivery at a time', async () => {
    // Whole rates and exact fractions (4/3, 25/24 and 10/7 events a ns); 1.1 GHz + 1/4 Hz and 1234567891/s have 4*10^9 and 10^9 phases, too many to follow: scanned.
    const rates = [1.1e9, 1.2e9, 1.6e9, 1.7e9, 1.333e9, 2.2e9, 3.3e9, 4e9 / 3, 3.125e9 / 3, 1e10 / 7, 1.1e9 + 0.25, 1234567891];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...rates),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 9_000 }), { minLength: 1, maxLength: 3 }),
        async (hz, openAt, slices) => {
          const fast = await runStorm(widthsPlatform(hz), slices, false, openAt);
          const slow = await runStorm(widthsPlatform(hz), slices, true, openAt);
          const what = `${hz} Hz opened at ${openAt} ns, slices ${slices}`;
          expect(fast.counts, what).to.deep.equal(slow.counts);
          expect(fast.overflows, what).to.deep.equal(slow.overflows);
          expect(fast.values, what).to.deep.equal(slow.values);
          expect(fast.irqs, what).to.deep.equal(slow.irqs);
          if (ratePerNs(hz).d <= 1000 && slow.work > 2000) expect(fast.work * 10, what).to.be.below(slow.work);
        },
      ),
      { seed, numRuns: 12 },
    );
  });

  it('a 1-bit counter at 1.2 GHz over 1 s of virtual time: a handful of steps, and exactly the overflows and counts of its cycles', async () => {
    const m = await Machine.boot({ platform: narrowAndWide(1.2e9), installed: [] });
    const [w1, w24] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const mark = m.kernel.clock.work.steps;
    m.advance(1_000_000_000);
    expect(m.kernel.clock.work.since(mark)).to.be.below(100);
    // 6 events every 5 ns; from phase 0 a 1-bit counter's cycles take 2, 2 and 1 ns, each counting 2 events and none past the top.
    expect(m.hardware.device('w1').overflows).to.equal(600_000_000);
    expect(m.kernel.irqs.stats(101).handled).to.equal(600_000_000);
    // Linux's fold of (now - prev) & mask sees 0 for each 2-event cycle at one bit.
    expect(m.perf.read(w1!).value).to.equal(0);
    expect(m.perf.read(w24!).value).to.equal(1_200_000_000);
    await m.shutdown();
  });

  it('a 1-bit counter at 1.6 GHz over 1 s: cycles that end with an event past the top read 1, and the handler counts them', async () => {
    const m = await Machine.boot({ platform: narrowAndWide(1.6e9), installed: [] });
    const [w1, w24] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const mark = m.kernel.clock.work.steps;
    m.advance(1_000_000_000);
    expect(m.kernel.clock.work.since(mark)).to.be.below(100);
    // 8 events every 5 ns: cycles of 2, 2 and 1 ns count 3, 3 and 2 events, so the handler reads 1, 1 and 0.
    expect(m.hardware.device('w1').overflows).to.equal(600_000_000);
    expect(m.perf.read(w1!).value).to.equal(400_000_000);
    expect(m.perf.read(w24!).value).to.equal(1_600_000_000);
    await m.shutdown();
  });

  it('the longest orbit followed (65537/65536 events a ns, 65536 phases): charged to the work counter, paid for by deliveries when refused, counts as stepping does', async () => {
    const hz = (1e9 * 65537) / 65536;
    expect(ratePerNs(hz)).to.deep.equal({ n: 65537, d: 65536 });
    // Stepped (the tracer refuses every replay), the orbit is followed again only after deliveries paid for it.
    const traced = await runStorm(narrowAndWide(hz), [4_000], true);
    expect(traced.work).to.be.below(1.5 * traced.overflows.reduce((a, b) => a + b, 0));
    // Past 65536 ns, so that some cycles end with an event past the top.
    const fast = await runStorm(narrowAndWide(hz), [150_000], false);
    const slow = await runStorm(narrowAndWide(hz), [150_000], true);
    expect(fast.counts).to.deep.equal(slow.counts);
    expect(fast.overflows).to.deep.equal(slow.overflows);
    expect(fast.values).to.deep.equal(slow.values);
    expect(fast.irqs).to.deep.equal(slow.irqs);
    expect(fast.counts[0]![0]).to.be.above(0);
    // Following 65536 phases is some 10^5 steps of arithmetic, one unit of work per 1024 of them.
    expect(fast.work).to.be.above(100);
    expect(fast.work * 20).to.be.below(slow.work);
  });

  it('a replay hands the driver values the counter can hold: at 3.3 GHz a 1-bit counter ends cycles 1 or 2 events past the top, and reads 1 or 0', async () => {
    const m = await Machine.boot({ platform: narrowAndWide(3.3e9), installed: [] });
    const irqs = m.kernel.irqs;
    const seen: IrqReplayReads[] = [];
    const replay = irqs.replayDeliveries.bind(irqs);
    irqs.replayDeliveries = (irq, k, reads) => {
      if (irq === 101 && reads) seen.push(reads);
      return replay(irq, k, reads);
    };
    const [w1] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    m.advance(1_000_000);
    expect(seen.length).to.be.above(0);
    for (const reads of seen) for (const v of reads.values) expect(v).to.be.oneOf([0, 1]);
    // Every cycle is one ns of 3 or 4 events (33 every 10 ns: seven of 3), 1 or 2 past the top: the 3-event ones count 1.
    expect(m.perf.read(w1!).value).to.equal(700_000);
    await m.shutdown();
  });

  it('a replay whose reads do not add up is EINVAL; one for a counter the last interrupt did not fold is refused', async () => {
    const m = await Machine.boot({ platform: narrowAndWide(1.2e9), installed: [] });
    const [w1] = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    // Stepped: the tracepoint makes the driver refuse every replay until it is disabled.
    m.kernel.trace.enable('rwmmio:rwmmio_read');
    m.advance(2);
    m.kernel.trace.enable('rwmmio:rwmmio_read', false);
    const irqs = m.kernel.irqs;
    const bad = [
      { source: 31, values: [0], counts: [1] },
      { source: 31, values: [0, 1], counts: [2] },
      { source: -1, values: [0], counts: [2] },
      { source: 31, values: [-1], counts: [2] },
      { source: 31, values: [0, 1], counts: [3, -1] },
    ];
    for (const reads of bad) expect(() => irqs.replayDeliveries(101, 2, reads), JSON.stringify(reads)).to.throw(KernelError, /reads/);
    const before = { ...irqs.stats(101) };
    expect(irqs.replayDeliveries(101, 2, { source: 0, values: [0], counts: [2] })).to.equal(false);
    expect(irqs.stats(101)).to.deep.equal(before);
    // The cycle counter it folded: reads of 1 count one event each at one bit, reads of 0 none.
    const count = m.perf.read(w1!).value;
    expect(irqs.replayDeliveries(101, 5, { source: 31, values: [0, 1], counts: [2, 3] })).to.equal(true);
    expect(m.perf.read(w1!).value).to.equal(count + 3);
    expect(irqs.stats(101).handled).to.equal(before.handled + 5);
    await m.shutdown();
  });
});
