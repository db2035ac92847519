// The driver's per-event backend ops, each at its own call site: traced, every call reaches the site's tracers; untraced, the op runs in the frames the site gives it.
import { FunctionTracer } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';

const PER_EVENT_SITES = [
  'cspmu->event_type',
  'cspmu->is_cycle_counter_event',
  'cspmu->validate_event',
  'cspmu->set_ev_filter',
  'cspmu->set_cc_filter',
  'cspmu->reset_ev_filter',
];

describe('arm-cspmu per-event backend op sites', function () {
  this.timeout(60000);

  it('a tracer on each per-event site sees every call an open and a close of a counter event and a cycle event make', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const tracer = new FunctionTracer(m.kernel.trace);
    for (const site of PER_EVENT_SITES) m.kernel.callSites.attach(site, tracer);
    const [e, c] = m.open('arm_cspmu_cache_0/event=0x1a5/,arm_cspmu_cache_0/cycles/');
    await m.perf.close(e!);
    await m.perf.close(c!);
    expect(m.kernel.trace.peek().map((l) => l.text.replace(/dur=\d+ns/, 'dur=Nns'))).to.deep.equal([
      'cspmu->event_type arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->is_cycle_counter_event arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->validate_event arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->set_ev_filter arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      // The cycle event's open reschedules the context: the counter event goes off and on again.
      'cspmu->event_type arm_cspmu_cache_0 event=2 dur=Nns ret=0',
      'cspmu->reset_ev_filter arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->is_cycle_counter_event arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->validate_event arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->set_ev_filter arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->is_cycle_counter_event arm_cspmu_cache_0 event=2 dur=Nns ret=0',
      'cspmu->set_cc_filter arm_cspmu_cache_0 event=2 dur=Nns ret=0',
      'cspmu->reset_ev_filter arm_cspmu_cache_0 event=1 dur=Nns ret=0',
      'cspmu->reset_ev_filter arm_cspmu_cache_0 event=2 dur=Nns ret=0',
    ]);
  });

  it('untraced, each op runs inside the driver callback that calls it, under its site caller frame where the site has one', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const seen: string[] = [];
    const note = (op: string) => seen.push(`${op}: ${m.kernel.calls.names().join(' > ')}`);
    await loadBuiltinBackend(
      m,
      scfBackend('test_scf_cspmu', {
        eventType: (_i, ev) => {
          note('event_type');
          return ev.attr.config;
        },
        isCycleCounterEvent: (_i, ev) => {
          note('is_cycle_counter_event');
          return ev.attr.config === 0x100000000n;
        },
        validateEvent: () => void note('validate_event'),
        setEvFilter: () => void note('set_ev_filter'),
        setCcFilter: () => void note('set_cc_filter'),
        resetEvFilter: () => void note('reset_ev_filter'),
      }),
    );
    const [e, c] = m.open('test_scf_pmu_0/event=0x1a5/,test_scf_pmu_0/cycles/');
    await m.perf.close(e!);
    await m.perf.close(c!);
    expect(seen).to.deep.equal([
      'event_type: arm_cspmu_event_init',
      'is_cycle_counter_event: event_sched_in > arm_cspmu_add',
      'validate_event: event_sched_in > arm_cspmu_add',
      'set_ev_filter: event_sched_in > arm_cspmu_add > arm_cspmu_start > arm_cspmu_set_ev_filter',
      'event_type: arm_cspmu_event_init',
      'reset_ev_filter: event_sched_out > arm_cspmu_del > arm_cspmu_stop',
      'is_cycle_counter_event: event_sched_in > arm_cspmu_add',
      'validate_event: event_sched_in > arm_cspmu_add',
      'set_ev_filter: event_sched_in > arm_cspmu_add > arm_cspmu_start > arm_cspmu_set_ev_filter',
      'is_cycle_counter_event: event_sched_in > arm_cspmu_add',
      'set_cc_filter: event_sched_in > arm_cspmu_add > arm_cspmu_start > arm_cspmu_set_cc_filter',
      'reset_ev_filter: event_sched_out > arm_cspmu_del > arm_cspmu_stop',
      'reset_ev_filter: event_sched_out > arm_cspmu_del > arm_cspmu_stop',
    ]);
    expect(m.kernel.calls.depth).to.equal(0);
  });
});
