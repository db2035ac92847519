// Multiplexing in closed form: the same counts, times, rotations and counter values as rotating one interval at a time, within a step budget.

import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';
import { onePmu } from './helpers/platforms.js';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

const SCF = [
  'cmem_rd_data',
  'cmem_rd_access',
  'cmem_rd_outstanding',
  'cmem_wr_data',
  'cmem_wr_access',
  'cmem_wr_total_bytes',
  'cmem_wb_data',
  'cmem_wb_access',
  'gmem_rd_data',
  'gmem_rd_access',
  'remote_socket_rd_data',
  'scf_cache',
  'scf_cache_refill',
  'scf_cache_allocate',
  'scf_cache_wb',
  'bus_cycles',
  'cycles',
];

interface Scenario {
  readonly events: readonly string[];
  readonly intervalMs: number;
  readonly slices: readonly number[];
}

/** Everything multiplexing changes: per slice each event's value and times, the rotations, and every counter's value. */
async function run(s: Scenario, stepwise: boolean) {
  const m = await Machine.boot({ platform: 'grace' });
  // An enabled tracepoint must see every access, so the driver refuses closed forms.
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const evs: PerfEvent[] = s.events.flatMap((e) => m.open(e));
  const pmu = evs[0]!.pmu;
  m.perf.setMuxInterval(pmu, s.intervalMs);
  const ctx = m.perf.context(pmu, evs[0]!.cpu);
  const device = m.hardware.device('scf0');
  const mark = m.kernel.clock.work.steps;
  const seen = [];
  for (const ns of s.slices) {
    m.advance(ns);
    seen.push({
      reads: evs.map((e) => m.perf.read(e)),
      rotations: ctx.rotations,
      counters: device.implemented.map((p) => device.counterValue(p).toString()),
      overflows: device.overflows,
    });
  }
  const work = m.kernel.clock.work.steps - mark;
  await m.shutdown();
  return { seen, work };
}

describe('Multiplexing in closed form', function () {
  this.timeout(300000);
  before(() => console.log(`      multiplexing closed-form seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('random event sets, groups, pinned events, intervals and slices: identical to rotating one by one', async () => {
    const single = fc.constantFrom(...SCF).map((e) => `nvidia_scf_pmu_0/${e}/`);
    const event = fc.oneof(
      { weight: 6, arbitrary: single },
      { weight: 1, arbitrary: fc.tuple(single, single).map(([a, b]) => `{${a},${b}}`) },
      { weight: 1, arbitrary: single.map((e) => `${e}D`) },
    );
    let replayed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 2, maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 1, max: 400_000_000 }), { minLength: 1, maxLength: 4 }),
        async (events, intervalMs, slices) => {
          const s = { events, intervalMs, slices };
          const fast = await run(s, false);
          const slow = await run(s, true);
          expect(fast.seen).to.deep.equal(slow.seen);
          expect(fast.work).to.be.at.most(slow.work);
          if (fast.work < slow.work) replayed++;
        },
      ),
      { seed, numRuns: 25 },
    );
    // The property means little unless the closed form ran in most cases.
    expect(replayed).to.be.above(5);
  });

  it('twenty multiplexed events over 10^6 s of virtual time: exact times, 2.5*10^8 rotations, a few hundred steps', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const evs = Array.from({ length: 20 }, (_, i) => m.open(`nvidia_scf_pmu_0/${SCF[i % SCF.length]}/`)[0]!);
    const ctx = m.perf.context(evs[0]!.pmu, evs[0]!.cpu);
    const mark = m.kernel.clock.work.steps;
    // The first 10 s (2,500 rotations) must already take few steps: if the closed form were off, the long advances below would run for
    // hours one rotation at a time, a hang instead of a failure.
    m.advance(10_000_000_000);
    expect(m.kernel.clock.work.since(mark)).to.be.below(100);
    expect(ctx.rotations).to.equal(2_500);
    for (let i = 0; i < 100; i++) m.advance(10_000_000_000_000 - (i === 0 ? 10_000_000_000 : 0));
    // Each advance ends with less than a cycle left, stepped: at most about one cycle of rotations per advance.
    expect(m.kernel.clock.work.since(mark)).to.be.below(100 * 30);
    expect(ctx.rotations).to.equal(250_000_000);
    const reads = evs.map((e) => m.perf.read(e));
    for (const r of reads) expect(r.timeEnabled).to.equal(1e15);
    // Every event gets its turns, and no more counter time than the PMU has is handed out.
    const counters = m.hardware.device('scf0').implemented.length;
    for (const r of reads) expect(r.timeRunning).to.be.above(0);
    expect(reads.reduce((a, r) => a + r.timeRunning, 0)).to.be.at.most(counters * 1e15);
    await m.shutdown();
  });

  it("an advance's closed form stops at its end: a pinned counter's distant overflow does not carry the copies past it", async () => {
    // The pinned event counts throughout, so the device allows copies until its counter nears the top (4.3 s away at 1 GHz); the
    // advance is 50 ms, so the copies must stop within it, leaving the times and rotations of 50 ms.
    const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
    const w = m.driver.bindings()[0]!.pmu;
    const evs = ['event=0x2/D', 'event=0x1/', 'event=0x2/', 'event=0x3/', 'event=0x1/'].flatMap((e) => m.open(`${w}/${e}`));
    m.perf.setMuxInterval(evs[0]!.pmu, 1);
    const ctx = m.perf.context(evs[0]!.pmu, evs[0]!.cpu);
    const mark = m.kernel.clock.work.steps;
    for (let i = 1; i <= 2; i++) {
      m.advance(50_000_000);
      expect(m.kernel.clock.now()).to.equal(i * 50_000_000);
      expect(evs.map((e) => m.perf.read(e).timeEnabled)).to.deep.equal(evs.map(() => i * 50_000_000));
      expect(ctx.rotations).to.equal(i * 50 - 3);
    }
    expect(evs.map((e) => m.perf.read(e).timeRunning)).to.deep.equal([100_000_000, 52_000_000, 52_000_000, 48_000_000, 48_000_000]);
    // The closed form ran (97 rotations otherwise).
    expect(m.kernel.clock.work.since(mark)).to.be.below(30);
    await m.shutdown();
  });
});
