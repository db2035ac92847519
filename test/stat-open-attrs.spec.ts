// Tests the attrs perf stat hands perf_event_open: inherit set, every leader and lone event opened disabled and enabled once all are open, members enabled; an exact open (the API's) hands the parsed attr as it is.

import { openEventList } from '@cspmu/perf-tool';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

describe('perf stat opens: the attrs it hands perf_event_open', () => {
  const EVENTS = '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_0/cmem_rd_data/},nvidia_scf_pmu_0/cmem_wr_data/';

  it('sets inherit on every open, opens leaders and lone events disabled and members enabled, then enables the leaders and lone events', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const counters = openEventList(m.perf, m.kernel, m.parseEvents(EVENTS), { systemWide: true });
    const opened = counters.map((c) =>
      c.events.map((ev) => ({ leader: ev!.isLeader, disabled: ev!.attr.disabled, inherit: ev!.attr.inherit, guest: ev!.attr.exclude_guest })),
    );
    // One open per event, on the uncore PMU's one CPU; perf's host-only default (exclude_guest) dropped by the retry the PMU's EINVAL asks for.
    expect(opened).to.deep.equal([
      [{ leader: true, disabled: true, inherit: true, guest: false }],
      [{ leader: false, disabled: false, inherit: true, guest: false }],
      [{ leader: true, disabled: true, inherit: true, guest: false }],
    ]);
    // Opened disabled, they count once enabled together after the last open.
    for (const c of counters) expect(m.perf.read(c.events[0]!).timeEnabled).to.equal(0);
    m.advance(1000);
    expect(counters.map((c) => m.perf.read(c.events[0]!).timeEnabled)).to.deep.equal([1000, 1000, 1000]);
  });

  it('an exact open hands the parsed attr on as it is: no inherit, nothing disabled', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const events = m.open(EVENTS);
    expect(events.map((ev) => [ev.isLeader, ev.attr.disabled, ev.attr.inherit])).to.deep.equal([
      [true, false, false],
      [false, false, false],
      [true, false, false],
    ]);
  });
});
