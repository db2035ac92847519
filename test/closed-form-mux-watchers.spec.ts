// Multiplexing in closed form while something watches: a kmmio observer sees every access and a call-site tracer every callback, as when stepped.

import type { SiteTracer } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { recordAccesses } from './helpers/machine.js';
import { onePmu } from './helpers/platforms.js';

const EVENTS = ['event=0x1/', 'event=0x2/', 'event=0x3/', 'cycles/', 'event=0x1/', 'event=0x2/'];

/** Six events on four counters, rotating every 1 ms for 50 ms, with `watch` attached once they are open; `stepwise` also enables an rwmmio tracepoint. */
async function rotate(watch: (m: Machine) => void, stepwise: boolean) {
  const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
  const w = m.driver.bindings()[0]!.pmu;
  const evs: PerfEvent[] = EVENTS.flatMap((e) => m.open(`${w}/${e}`));
  m.perf.setMuxInterval(evs[0]!.pmu, 1);
  const ctx = m.perf.context(evs[0]!.pmu, evs[0]!.cpu);
  watch(m);
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const mark = m.kernel.clock.work.steps;
  m.advance(50_000_000);
  const reads = evs.map((e) => m.perf.read(e));
  const work = m.kernel.clock.work.since(mark);
  await m.shutdown();
  return { reads, work, rotations: ctx.rotations };
}

describe('Multiplexing in closed form: nothing is skipped while something watches', function () {
  this.timeout(60000);

  it('a kmmio observer (no tracepoint enabled) sees every MMIO access of every rotation, as when each is stepped', async () => {
    const logs: string[][] = [];
    const watched = async (stepwise: boolean) => {
      let text = () => [] as string[];
      const r = await rotate((m) => {
        text = recordAccesses(m).text;
        // Only the observer could refuse the closed form here.
        expect([m.kernel.trace.anyEnabled, m.kernel.callSites.anyAttached()]).to.deep.equal([false, false]);
      }, stepwise);
      logs.push(text());
      return r;
    };
    const observed = await watched(false);
    const stepped = await watched(true);
    expect(observed.rotations).to.equal(47);
    expect(logs[0]!.length).to.equal(1600);
    expect(logs[0]).to.deep.equal(logs[1]);
    expect(observed.reads).to.deep.equal(stepped.reads);
    // Unwatched, the same rotations are applied in closed form.
    const quiet = await rotate(() => undefined, false);
    expect(quiet.reads).to.deep.equal(stepped.reads);
    expect(quiet.work * 2).to.be.below(observed.work);
  });

  it('a call-site tracer (no tracepoint enabled) sees every add and del of every rotation, as when each is stepped', async () => {
    const calls: string[][] = [];
    const traced = async (stepwise: boolean) => {
      const seen: string[] = [];
      calls.push(seen);
      const tracer: SiteTracer = { name: 'calls', onCall: (site, target, argId) => void seen.push(`${site.name} ${target} ${argId}`) };
      return rotate((m) => {
        m.kernel.callSites.attach('pmu->add', tracer);
        m.kernel.callSites.attach('pmu->del', tracer);
        // Only the attached sites could refuse the closed form here.
        expect([m.kernel.trace.anyEnabled, m.mmio.kmmioArmed]).to.deep.equal([false, false]);
      }, stepwise);
    };
    const fast = await traced(false);
    const stepped = await traced(true);
    expect(fast.rotations).to.equal(47);
    expect(calls[0]!.filter((c) => c.startsWith('pmu->add')).length).to.equal(219);
    expect(calls[0]).to.deep.equal(calls[1]);
    expect(fast.reads).to.deep.equal(stepped.reads);
  });
});
