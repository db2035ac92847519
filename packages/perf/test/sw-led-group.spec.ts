// Tests that a group with a hardware member lives in the hardware PMU's context, as the kernel moves it there, and that its software events stay there (a software member joining, a closed leader's software member).
import type { KernelError } from '@cspmu/kernel';
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

  it("keeps the group in the hardware PMU's context when a software event joins it after its hardware member closed", async () => {
    const { core, pmu, type, clock } = perfRig();
    const software = core.pmuByName('software')!;
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 0 });
    await core.close(core.open({ type, config: 1n }, { cpu: 0, group: leader }));
    const soft = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0, group: leader });
    expect(leader.ctx).to.equal(core.context(pmu, 0));
    expect(core.context(pmu, 0).flexible).to.deep.equal([leader]);
    expect(core.context(software, 0).empty).to.equal(true);
    expect(await busy(core.unregister(pmu))).to.equal("EBUSY: PMU 'test_pmu_0' still has 2 event(s); close them before unregistering");
    clock.advance(100);
    expect(core.migrateContext(pmu, 0, 1)).to.equal(2);
    expect([leader.cpu, soft.cpu, leader.ctx]).to.deep.equal([1, 1, core.context(pmu, 1)]);
    clock.advance(50);
    expect(core.read(soft)).to.include({ value: 150, timeEnabled: 150, timeRunning: 150 });
    await core.close(soft);
    await core.close(leader);
    expect(core.context(pmu, 1).empty).to.equal(true);
    await core.unregister(pmu);
  });
});

describe("Perf core: a closed hardware leader's software member", () => {
  it("stays in the hardware PMU's context, counting on, migrating with it and holding the PMU", async () => {
    const { core, pmu, type, clock } = perfRig();
    const software = core.pmuByName('software')!;
    const leader = core.open({ type, config: 1n }, { cpu: 0 });
    const hard = core.open({ type, config: 2n }, { cpu: 0, group: leader });
    const soft = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0, group: leader });
    clock.advance(100);
    pmu.calls.length = 0;
    await core.close(leader);
    // The leader leaves inside one disable/enable pair of the hardware PMU; its members become groups of their own in its context.
    expect(pmu.calls).to.deep.equal(['disable', `del ${leader.id}`, 'enable']);
    expect([hard.isLeader, soft.isLeader]).to.deep.equal([true, true]);
    expect(core.context(pmu, 0).flexible).to.deep.equal([hard, soft]);
    expect(soft.ctx).to.equal(core.context(pmu, 0));
    expect(core.context(software, 0).empty).to.equal(true);
    expect(await busy(core.unregister(pmu))).to.equal("EBUSY: PMU 'test_pmu_0' still has 2 event(s); close them before unregistering");
    clock.advance(50);
    expect(core.read(soft)).to.include({ value: 150, timeEnabled: 150, timeRunning: 150 });
    expect(core.migrateContext(pmu, 0, 2)).to.equal(2);
    expect([hard.cpu, soft.cpu, soft.ctx]).to.deep.equal([2, 2, core.context(pmu, 2)]);
    expect(core.context(software, 2).empty).to.equal(true);
    clock.advance(50);
    expect(core.read(soft)).to.include({ value: 200, timeEnabled: 200, timeRunning: 200 });
    // It keeps the group caps the hardware leader narrowed: an event of its PMU joins it there, and the group stays put.
    const again = core.open({ type, config: 3n }, { cpu: 2, group: soft });
    expect(core.context(pmu, 2).flexible).to.deep.equal([hard, soft]);
    expect(soft.siblings).to.deep.equal([again]);
    for (const e of [again, soft, hard]) await core.close(e);
    expect(core.context(pmu, 2).empty).to.equal(true);
    await core.unregister(pmu);
  });
});

/** The message an unregister that must fail with EBUSY fails with. */
async function busy(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect((e as KernelError).code).to.equal('EBUSY');
    return (e as KernelError).message;
  }
  return expect.fail('expected EBUSY');
}
