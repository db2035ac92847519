// Tests that a group led by a software event with a hardware member lives in the hardware PMU's context, as the kernel moves it there.
import { expect } from 'chai';
import { PERF_TYPE } from '../src/index.js';
import { perfRig } from './helpers.js';

describe('Perf core: a software-led group with a hardware member', () => {
  it("is scheduled in the hardware PMU's context: migrating that PMU's context moves the whole group", async () => {
    const { core, pmu, type } = perfRig();
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 0 });
    const member = core.open({ type, config: 1n }, { cpu: 0, group: leader });
    expect(core.context(pmu, 0).flexible).to.deep.equal([leader]);
    expect(core.migrateContext(pmu, 0, 2)).to.equal(2);
    expect([leader.cpu, member.cpu]).to.deep.equal([2, 2]);
    await core.close(member);
    await core.close(leader);
  });
});
