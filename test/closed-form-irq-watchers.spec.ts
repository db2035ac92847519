// Overflow interrupts in closed form while something watches: what must see each interrupt refuses it, what records nothing in one does not.

import { FunctionTracer, type SiteTracer } from '@cspmu/kernel';
import { MmioTrace } from '@cspmu/mmio';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { recordAccesses } from './helpers/machine.js';
import { onePmu } from './helpers/platforms.js';

/**
 * An 8-bit counter of 10^9 events a second, preloaded to 127, overflows every 129 ns: 100 us of it is 775 interrupts.
 * `watch` is attached once the event is open and returns what it saw, taken after the read; `stepwise` also enables an
 * rwmmio tracepoint, so every interrupt is delivered and handled one at a time.
 */
async function storm(watch: (m: Machine) => () => string[], stepwise: boolean) {
  const m = await Machine.boot({ platform: onePmu(8, 0), installed: [] });
  const [e] = m.open(`${m.driver.bindings()[0]!.pmu}/event=0x1/`);
  const seen = watch(m);
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const mark = m.kernel.clock.work.steps;
  m.advance(100_000);
  const { value } = m.perf.read(e!);
  const work = m.kernel.clock.work.since(mark);
  const result = { value, irqs: { ...m.kernel.irqs.stats(100) }, overflows: m.hardware.device('w').overflows, seen: seen() };
  await m.shutdown();
  return { result, work };
}

const STORM = { value: 100_000, irqs: { delivered: 775, handled: 775, unhandled: 0, spurious: 0 }, overflows: 775 };

describe('Overflow interrupts in closed form: nothing is skipped while something watches', function () {
  this.timeout(60000);

  it('a kmmio observer (no tracepoint enabled) sees every access of every interrupt, as when each is stepped', async () => {
    const watch = (m: Machine) => {
      const { text } = recordAccesses(m);
      // Only the observer could refuse the closed form here.
      expect([m.kernel.trace.list().some((tp) => tp.enabled), m.kernel.callSites.anyAttached()]).to.deep.equal([false, false]);
      return () => text();
    };
    const observed = await storm(watch, false);
    const stepped = await storm(watch, true);
    const accesses = observed.result.seen;
    // Each interrupt: PMCR = 0, read and clear PMOVSCLR, read and preload the counter, PMCR = E; then the read.
    expect(accesses.length).to.equal(6 * 775 + 1);
    expect(accesses.slice(0, 6)).to.deep.equal(['W32 0xe04 = 0x0', 'R32 0xc80', 'W32 0xc80 = 0x1', 'R32 0x0', 'W32 0x0 = 0x7f', 'W32 0xe04 = 0x1']);
    expect(observed.result).to.deep.equal(stepped.result);
    expect({ ...observed.result, seen: [] }).to.deep.equal({ ...STORM, seen: [] });
    // Unwatched, the same interrupts are applied in closed form.
    const quiet = await storm(() => () => [], false);
    expect(quiet.result).to.deep.equal({ ...STORM, seen: [] });
    expect(quiet.work * 20).to.be.below(observed.work);
  });

  it('a listener of cspmu:overflow (no tracepoint enabled) hears every overflow, as when each is stepped', async () => {
    const watch = (m: Machine) => {
      const heard: string[] = [];
      m.kernel.lifecycle.on('cspmu:overflow', (p) => void heard.push(`${p.pmu} counter ${p.counter} event ${p.event}`));
      return () => heard;
    };
    const listened = await storm(watch, false);
    const stepped = await storm(watch, true);
    expect(listened.result.seen.length).to.equal(775);
    expect(listened.result.seen[0]).to.equal('arm_cspmu_mc_1 counter 0 event 1');
    expect(listened.result).to.deep.equal(stepped.result);
    expect({ ...listened.result, seen: [] }).to.deep.equal({ ...STORM, seen: [] });
  });

  it('tracepoints that record nothing in an interrupt (mmiotrace without its probes, a function tracer on no site) and a call-site tracer on every site: the interrupts are applied in closed form', async () => {
    const watch = (m: Machine) => {
      const calls: string[] = [];
      const tracer: SiteTracer = { name: 'calls', onCall: (site, target, argId) => void calls.push(`${site.name} ${target} ${argId}`) };
      // The tracepoints alone, switched on as writing their enable files would: no mapping is probed.
      new MmioTrace(m.mmio, m.kernel);
      new FunctionTracer(m.kernel.trace);
      m.kernel.trace.enable('mmiotrace:*');
      for (const site of m.kernel.callSites.list()) m.kernel.callSites.attach(site.name, tracer);
      return () => [
        ...calls,
        ...m.kernel.trace
          .peek()
          .filter((l) => !l.event.startsWith('rwmmio'))
          .map((l) => l.text),
      ];
    };
    const traced = await storm(watch, false);
    const stepped = await storm(watch, true);
    expect(traced.result.seen).to.deep.equal(['pmu->read arm_cspmu_mc_1 1']);
    expect(traced.result).to.deep.equal(stepped.result);
    expect({ ...traced.result, seen: [] }).to.deep.equal({ ...STORM, seen: [] });
    expect(traced.work * 20).to.be.below(stepped.work);
  });
});
