// pmu_enable restarts the PMU whenever any counter is in use, including when every counter in use is past the first 32 (the second PMCNTEN word).
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { recordAccesses } from './helpers/machine.js';

describe('arm-cspmu pmu_enable with counters past the first word', function () {
  this.timeout(60000);

  it('sets PMCR.E again when the only counter in use is counter 32, and that counter goes on counting', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    const pmu = 'arm_cspmu_pcie_0';
    // 40 counters, the cycle counter at 31: events take counters 0-30, then 32.
    const events = m.open(Array.from({ length: 32 }, () => `${pmu}/event=0x1/`).join(','));
    const last = events[31]!;
    expect(last.hw.idx).to.equal(32);
    for (const e of events.slice(0, 30)) await m.perf.close(e);
    const rec = recordAccesses(m);
    // Closing the event on counter 30 runs del inside pmu_disable/pmu_enable, and leaves counter 32 alone in use.
    await m.perf.close(events[30]!);
    expect(rec.text('arm-cs-arch-pmu.2').filter((a) => a.startsWith('W32 0xe04'))).to.deep.equal(['W32 0xe04 = 0x0', 'W32 0xe04 = 0x1']);
    const before = m.perf.read(last).value;
    const t0 = m.clock.now();
    m.advance(1000);
    const expected = m.hardware.workload.expected({ label: 'pcie0', event: 1, filter: 0, filter2: 0 }, t0, m.clock.now());
    expect(expected).to.be.greaterThan(0);
    expect(m.perf.read(last).value - before).to.equal(expected);
    await m.perf.close(last);
  });
});
