// get_event_idx: which counter each event takes, across holes, the cycle counter and the words past the first 32.
import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

const CYCLES = 0x100000000n;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The arm-generic platform: pcie_0 has 40 counters (the cycle counter is 31), mc_0 8 (the cycle counter is 7), smmu_256 4 and none. */
async function genericPmu(name: string) {
  const m = await Machine.boot({ platform: 'arm-generic' });
  const type = m.perf.pmuByName(name)!.type;
  const open = (config: bigint, pinned: boolean): PerfEvent => m.perf.open({ type, config, pinned }, { cpu: 0 });
  return { m, open };
}

/** The logical counter each event is on (-1: none). */
const counters = (events: PerfEvent[]) => events.map((e) => (e.hw.idx < 0 ? -1 : e.hw.extraIdx));

describe('arm-cspmu counter allocation (get_event_idx)', function () {
  this.timeout(60000);

  it('40 counters: events take 0-30, skip the cycle counter (31) and go on at 32-39; the cycle event takes 31', async () => {
    const { open } = await genericPmu('arm_cspmu_pcie_0');
    const events = range(0, 40).map(() => open(0x1n, true));
    expect(counters(events)).to.deep.equal([...range(0, 31), ...range(32, 40), -1]);
    expect(counters([open(CYCLES, true)])).to.deep.equal([31]);
  });

  it('counters freed in both words are the next taken, lowest first', async () => {
    const { m, open } = await genericPmu('arm_cspmu_pcie_0');
    const pinned = range(0, 39).map(() => open(0x1n, true));
    for (const i of [33, 5, 30]) await m.perf.close(pinned.find((e) => e.hw.extraIdx === i)!);
    // Flexible events: each open reschedules only the flexible groups, so the pinned ones keep their counters.
    const flexible = range(0, 4).map(() => open(0x1n, false));
    expect(counters(flexible)).to.deep.equal([5, 30, 33, -1]);
  });

  it('8 counters: events take 0-6, never the cycle counter (7), which the cycle event takes', async () => {
    const { open } = await genericPmu('arm_cspmu_mc_0');
    const events = range(0, 8).map(() => open(0x1n, true));
    expect(counters(events)).to.deep.equal([...range(0, 7), -1]);
    expect(counters([open(CYCLES, true)])).to.deep.equal([7]);
  });

  it('4 counters and no cycle counter: the cycle event is one more event, and all 4 fill in order', async () => {
    const { open } = await genericPmu('arm_cspmu_smmu_256');
    const events = [open(CYCLES, true), ...range(0, 4).map(() => open(0x1n, true))];
    expect(counters(events)).to.deep.equal([0, 1, 2, 3, -1]);
  });
});
