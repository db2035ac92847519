// Multiplexing in closed form, where it must refuse or stop: narrow counters that wrap inside a slice, pinned counters near the top, bus latency, timers that look, interval changes, tracing.

import { type PlatformSpec, PMCR, REG } from '@cspmu/hw';
import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';
import { onePmu } from './helpers/platforms.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

interface Scenario {
  readonly bits: number;
  readonly latency: number;
  readonly events: readonly string[];
  readonly intervalMs: number;
  readonly slices: readonly number[];
  /** An unowned timer that reads every event this far into the first slice. */
  readonly peekAt: number | undefined;
  /** The interval set before the last slice. */
  readonly laterIntervalMs: number | undefined;
}

async function run(s: Scenario, stepwise: boolean) {
  const m = await Machine.boot({ platform: onePmu(s.bits, s.latency), installed: [] });
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const name = m.driver.bindings()[0]!.pmu;
  const evs: PerfEvent[] = s.events.flatMap((e) => m.open(`${name}/${e}`));
  const pmu = evs[0]!.pmu;
  m.perf.setMuxInterval(pmu, s.intervalMs);
  const ctx = m.perf.context(pmu, evs[0]!.cpu);
  const device = m.hardware.device('w');
  const peeks: unknown[] = [];
  if (s.peekAt !== undefined) m.kernel.clock.at(m.kernel.clock.now() + s.peekAt, () => peeks.push(evs.map((e) => m.perf.read(e))));
  const seen = [];
  for (let i = 0; i < s.slices.length; i++) {
    if (i === s.slices.length - 1 && s.laterIntervalMs !== undefined) m.perf.setMuxInterval(pmu, s.laterIntervalMs);
    m.advance(s.slices[i]!);
    seen.push({
      reads: evs.map((e) => m.perf.read(e)),
      rotations: ctx.rotations,
      counters: device.implemented.map((p) => device.counterValue(p).toString()),
      overflows: device.overflows,
    });
  }
  const work = m.kernel.clock.work.steps;
  await m.shutdown();
  return { seen, peeks, work, rotations: ctx.rotations };
}

describe('Multiplexing in closed form: guards', function () {
  this.timeout(300000);
  before(() => console.log(`      multiplexing guards seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('narrow counters, pinned events, bus latency, a timer that reads, an interval change: identical to rotating one by one', async () => {
    const event = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('event=0x1/', 'event=0x2/', 'event=0x3/', 'cycles/') },
      { weight: 1, arbitrary: fc.constantFrom('event=0x2/D', 'event=0x3/D') },
    );
    let replayed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          bits: fc.constantFrom(12, 16, 24, 32),
          latency: fc.constantFrom(0, 0, 0, 1),
          events: fc.array(event, { minLength: 5, maxLength: 9 }),
          intervalMs: fc.integer({ min: 1, max: 3 }),
          slices: fc.array(fc.integer({ min: 1, max: 60_000_000 }), { minLength: 1, maxLength: 3 }),
          peekAt: fc.option(fc.integer({ min: 1, max: 60_000_000 }), { nil: undefined }),
          laterIntervalMs: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        }),
        async (drawn) => {
          // Narrow counters wrap every few microseconds: shorter runs keep the one-by-one side quick.
          const scale = drawn.bits >= 24 ? 1 : 0.15;
          const s = { ...drawn, slices: drawn.slices.map((ns) => Math.ceil(ns * scale)) };
          const fast = await run(s, false);
          const slow = await run(s, true);
          expect(fast.seen).to.deep.equal(slow.seen);
          expect(fast.peeks).to.deep.equal(slow.peeks);
          if (fast.work < slow.work) replayed++;
        },
      ),
      { seed, numRuns: 40 },
    );
    expect(replayed).to.be.above(5);
  });

  it('a group member closed, or enabled while its leader waits, changes what fits: the old cycle is not repeated', async () => {
    const outcome = async (stepwise: boolean, change: 'close' | 'enable') => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
      const w = m.driver.bindings()[0]!.pmu;
      // Four counters: three-event groups go one a slice; with a member gone, two two-event groups share one.
      const g1 = m.open(`{${w}/event=0x1/,${w}/event=0x2/,${w}/event=0x3/}`);
      const g2 = m.open(`{${w}/event=0x1/,${w}/event=0x2/,${w}/event=0x3/}`);
      const g3 = m.open(`{${w}/event=0x2/,${w}/event=0x3/}`);
      const evs = [...g1, ...g2, ...g3];
      // For 'enable': every group's last member starts off; one is enabled while its leader waits (nothing is rescheduled).
      if (change === 'enable') for (const g of [g1, g2, g3]) m.perf.disable(g.at(-1)!);
      m.advance(100_000_001);
      if (change === 'close') await m.perf.close(g2.at(-1)!);
      else m.perf.enable([g1, g2, g3].find((g) => g[0]!.state === 0)!.at(-1)!);
      const live = change === 'close' ? evs.filter((e) => e !== g2.at(-1)) : evs;
      m.advance(400_000_000);
      const reads = live.map((e) => m.perf.read(e));
      await m.shutdown();
      return reads;
    };
    for (const change of ['close', 'enable'] as const) expect(await outcome(false, change), change).to.deep.equal(await outcome(true, change));
  });

  it('slices whose counts vary by one event: a copy that could wrap a 16-bit counter is not applied, and 32-bit counters keep the last copy', async () => {
    // At 16 bits, 32768.01 events a ms: a 1 ms slice counts 32768, or 32769 (the counter's whole period) once in a hundred slices.
    // At 32 bits, 32768.3 a ms: each cycle's slices count differently, so what an idle counter holds depends on the last copy.
    const workload = (rate: number) => ({ name: 'odd', repeat: false, phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 1, rate }] }] });
    const outcome = async (bits: number, stepwise: boolean) => {
      const rate = bits === 16 ? 32_768_010 : 32_768_300;
      const m = await Machine.boot({ platform: onePmu(bits, 0, rate), workload: workload(rate), installed: [] });
      if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
      const w = m.driver.bindings()[0]!.pmu;
      // Three events on the three event counters, then an event with the cycle counter (clocked at the same odd rate): while the three
      // count, the pair's leader finds no counter, so nothing touches the cycle counter, which holds the pair's last slice.
      const evs = [...m.open(`{${w}/event=0x1/,${w}/event=0x1/,${w}/event=0x1/}`), ...m.open(`{${w}/event=0x1/,${w}/cycles/}`)];
      m.perf.setMuxInterval(evs[0]!.pmu, 1);
      const device = m.hardware.device('w');
      const seen = [];
      // Advances that end at different points of a 1 ms slice, so some end while the last copy's idle counter is still idle.
      for (let i = 0; i < 10; i++) {
        m.advance(100_250_000);
        seen.push({
          reads: evs.map((e) => m.perf.read(e)),
          counters: device.implemented.map((p) => device.counterValue(p).toString()),
          overflows: device.overflows,
        });
      }
      const work = m.kernel.clock.work.steps;
      await m.shutdown();
      return { seen, work };
    };
    for (const bits of [16, 32]) {
      const fast = await outcome(bits, false);
      const slow = await outcome(bits, true);
      expect(fast.seen, `${bits}-bit`).to.deep.equal(slow.seen);
      if (bits === 32) expect(fast.work * 10).to.be.below(slow.work);
    }
    expect((await outcome(16, true)).seen.at(-1)!.overflows).to.be.above(0);
  });

  it('a tracepoint that watches MMIO sees every rotation: none is applied in closed form', async () => {
    const s = { bits: 32, latency: 0, events: ['event=0x1/', 'event=0x2/', 'event=0x3/', 'cycles/', 'event=0x1/', 'event=0x2/'], intervalMs: 1 };
    const quiet = await run({ ...s, slices: [200_000_000], peekAt: undefined, laterIntervalMs: undefined }, false);
    const traced = await run({ ...s, slices: [200_000_000], peekAt: undefined, laterIntervalMs: undefined }, true);
    expect(traced.rotations).to.equal(quiet.rotations);
    expect(traced.rotations).to.be.above(190);
    expect(traced.work).to.be.at.least(traced.rotations);
    expect(quiet.work * 4).to.be.below(traced.work);
  });
});

describe('Multiplexing in closed form: counter registers after an advance', function () {
  this.timeout(300000);

  it('every counter register and the overflow status read over MMIO equal rotating one by one, idle counters included', async () => {
    // 32768.3 events a ms: the 1 ms slices of one cycle count 32768 or 32769, so what an idle counter holds depends on which copy was last.
    const rate = 32_768_300;
    const workload = { name: 'odd', repeat: false, phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 1, rate }] }] };
    const outcome = async (stepwise: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0, rate), workload, installed: [] });
      if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
      const w = m.driver.bindings()[0]!.pmu;
      // Three events fill the event counters; the pair needs the cycle counter, which sits idle, holding the pair's slice, while the three count.
      const evs = [...m.open(`{${w}/event=0x1/,${w}/event=0x1/,${w}/event=0x1/}`), ...m.open(`{${w}/event=0x1/,${w}/cycles/}`)];
      m.perf.setMuxInterval(evs[0]!.pmu, 1);
      const device = m.hardware.device('w');
      const registers = [];
      // Advances ending at different points of a 2 ms cycle: some end inside the three's slice right after a closed form whose last copy
      // left the cycle counter idle (its raw value is that copy's count, 32768 here, not the 32769 of the cycle stepped before it).
      for (const ns of [101_250_000, 100_500_000, 101_500_000, 99_000_000, 101_250_000, 100_000_000]) {
        m.advance(ns);
        const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'observer');
        registers.push({ counters: device.implemented.map((p) => io.readl(REG.PMEVCNTR + 4 * p)), overflow: io.readl(REG.PMOVSSET) });
        m.mmio.iounmap(io);
      }
      const work = m.kernel.clock.work.steps;
      await m.shutdown();
      return { registers, work };
    };
    const fast = await outcome(false);
    const slow = await outcome(true);
    expect(fast.registers).to.deep.equal(slow.registers);
    // The closed form ran: far fewer steps than rotating each slice.
    expect(fast.work * 10).to.be.below(slow.work);
  });
});

describe('Multiplexing in closed form: the device refuses windows it cannot repeat', function () {
  this.timeout(300000);

  it('a window whose counter carried on from its last value (no preload) is not repeated: the counter reads as if each copy ran', async () => {
    type Replay = (w: { counter: number; start: number; end: number }[], a: number[], period: number, max: number) => { cycles: number } | undefined;
    const period = 2_000_000;
    // Counter 0 counts event 0x1 (1 GHz) for the first half of each 2 ms cycle, preloaded only in the first cycle: later cycles' runs carry on.
    const outcome = async (closedForm: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      const cycle = (preload: boolean) => {
        if (preload) io.writel(0x1000, REG.PMEVCNTR);
        io.writel(1, REG.PMCNTENSET);
        m.advance(period / 2);
        io.writel(1, REG.PMCNTENCLR);
        m.advance(period / 2);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(PMCR.E, REG.PMCR);
      cycle(true);
      cycle(false);
      let left = 5;
      if (closedForm) {
        const t = m.kernel.clock.now();
        const replay = (m.hardware.device('w').page0.service as { replay: Replay }).replay;
        left -= replay.call(m.hardware.device('w').page0.service, [{ counter: 0, start: t - period, end: t - period / 2 }], [], period, left)?.cycles ?? 0;
        // The caller lets the copies' time pass, as the perf core does.
        m.advance((5 - left) * period);
      }
      for (let i = 0; i < left; i++) cycle(false);
      const registers = { counter: io.readl(REG.PMEVCNTR), overflow: io.readl(REG.PMOVSSET) };
      m.mmio.iounmap(io);
      await m.shutdown();
      return registers;
    };
    const stepped = await outcome(false);
    // Seven half-cycles of 10^6 events from the preload.
    expect(stepped).to.deep.equal({ counter: 0x1000 + 7_000_000, overflow: 0 });
    expect(await outcome(true)).to.deep.equal(stepped);
  });

  it('a counter that starts the next cycle carrying on (no preload) is not treated as preloaded: it reads as if each copy ran', async () => {
    type Replay = (w: { counter: number; start: number; end: number }[], a: number[], period: number, max: number) => { cycles: number } | undefined;
    const period = 2_000_000;
    // Counter 0 counts event 0x1 (1 GHz) from a preload for the first half of each 2 ms cycle; the third cycle starts it without the preload.
    const outcome = async (closedForm: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      const start = (preload: boolean) => {
        if (preload) io.writel(0x1000, REG.PMEVCNTR);
        io.writel(1, REG.PMCNTENSET);
      };
      const finish = () => {
        m.advance(period / 2);
        io.writel(1, REG.PMCNTENCLR);
        m.advance(period / 2);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(PMCR.E, REG.PMCR);
      for (let i = 0; i < 2; i++) {
        start(true);
        finish();
      }
      start(false);
      let left = 5;
      if (closedForm) {
        const t = m.kernel.clock.now();
        const service = m.hardware.device('w').page0.service as { replay: Replay };
        left -= service.replay([{ counter: 0, start: t - period, end: t - period / 2 }], [0], period, left)?.cycles ?? 0;
        // The caller lets the copies' time pass, as the perf core does.
        m.advance((5 - left) * period);
      }
      finish();
      for (let i = 0; i < left; i++) {
        start(true);
        finish();
      }
      const registers = { counter: io.readl(REG.PMEVCNTR), overflow: io.readl(REG.PMOVSSET) };
      m.mmio.iounmap(io);
      await m.shutdown();
      return registers;
    };
    const stepped = await outcome(false);
    // The last cycle counted 10^6 events from its preload.
    expect(stepped).to.deep.equal({ counter: 0x1000 + 1_000_000, overflow: 0 });
    expect(await outcome(true)).to.deep.equal(stepped);
  });
});

describe('Multiplexing in closed form: the device refuses while an overflow is pending', function () {
  this.timeout(300000);

  it('counters frozen by an overflow (PMCR.FZO) do not count in the copies: the counter reads as if each copy ran', async () => {
    type Replay = (w: { counter: number; start: number; end: number }[], a: number[], period: number, max: number) => { cycles: number } | undefined;
    const period = 2_000_000;
    // Counter 0 counts event 0x1 (1 GHz) from a preload for the first half of each 2 ms cycle; counter 1 counts it throughout and wraps
    // 3.5 ms in, in the second half of the second cycle, which freezes every counter until its overflow bit is cleared.
    const outcome = async (closedForm: boolean) => {
      const spec = onePmu(32, 0);
      const m = await Machine.boot({ platform: { ...spec, pmus: [{ ...spec.pmus[0]!, fzo: true }] } as PlatformSpec, installed: [] });
      const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'by-hand');
      const cycle = () => {
        io.writel(0x1000, REG.PMEVCNTR);
        io.writel(1, REG.PMCNTENSET);
        m.advance(period / 2);
        io.writel(1, REG.PMCNTENCLR);
        m.advance(period / 2);
      };
      io.writel(1, REG.PMEVTYPER);
      io.writel(1, REG.PMEVTYPER + 4);
      io.writel(2 ** 32 - 3_500_000, REG.PMEVCNTR + 4);
      io.writel(2, REG.PMCNTENSET);
      io.writel(PMCR.E | PMCR.FZO, REG.PMCR);
      cycle();
      cycle();
      let left = 5;
      if (closedForm) {
        const t = m.kernel.clock.now();
        const service = m.hardware.device('w').page0.service as { replay: Replay };
        left -= service.replay([{ counter: 0, start: t - period, end: t - period / 2 }], [], period, left)?.cycles ?? 0;
        // The caller lets the copies' time pass, as the perf core does.
        m.advance((5 - left) * period);
      }
      for (let i = 0; i < left; i++) cycle();
      const registers = { counters: [io.readl(REG.PMEVCNTR), io.readl(REG.PMEVCNTR + 4)], overflow: io.readl(REG.PMOVSSET) };
      m.mmio.iounmap(io);
      await m.shutdown();
      return registers;
    };
    const stepped = await outcome(false);
    // Frozen from 3.5 ms on: counter 0 holds each cycle's preload, counter 1 has just wrapped.
    expect(stepped).to.deep.equal({ counters: [0x1000, 0], overflow: 2 });
    expect(await outcome(true)).to.deep.equal(stepped);
  });
});
