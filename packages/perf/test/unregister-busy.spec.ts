// Tests that unregistering a PMU with open events is EBUSY naming exactly how many of its events are open, each counted once.
import type { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import type { PerfCore, Pmu } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

/** A software PMU: its events may lead groups of their own, in its own context. */
class SoftPmu extends TestPmu {
  readonly software = true;
}

async function unregisterError(core: PerfCore, pmu: Pmu): Promise<string> {
  let err: unknown;
  await core.unregister(pmu).catch((e: unknown) => (err = e));
  return err === undefined ? 'unregistered' : (err as KernelError).message;
}

describe('perf core: unregistering a PMU that still has open events', () => {
  it('counts a software PMU’s events in its own context once each', async () => {
    const { core, clock } = perfRig();
    const soft = new SoftPmu(clock, 2);
    const softType = core.register(soft, 'soft_pmu');
    const a = core.open({ type: softType, config: 1n }, { cpu: 0 });
    expect(await unregisterError(core, soft)).to.equal("EBUSY: PMU 'soft_pmu' still has 1 event(s); close them before unregistering");
    const b = core.open({ type: softType, config: 1n }, { cpu: 1 });
    expect(await unregisterError(core, soft)).to.equal("EBUSY: PMU 'soft_pmu' still has 2 event(s); close them before unregistering");
    await core.close(a);
    await core.close(b);
    expect(await unregisterError(core, soft)).to.equal('unregistered');
  });

  it('counts a hardware PMU’s leaders and members on every CPU once each', async () => {
    const { core, pmu, type } = perfRig();
    const leader = core.open({ type, config: 1n }, { cpu: 0 });
    const member = core.open({ type, config: 2n }, { cpu: 0, group: leader });
    const other = core.open({ type, config: 1n }, { cpu: 1 });
    expect(await unregisterError(core, pmu)).to.equal("EBUSY: PMU 'test_pmu_0' still has 3 event(s); close them before unregistering");
    for (const e of [member, leader, other]) await core.close(e);
    expect(await unregisterError(core, pmu)).to.equal('unregistered');
  });
});
