// Tests of the core's intrusive event list (insertion order, removal from anywhere, one list per event) and of how the core finds its open events.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { EventList } from '../src/event-list.js';
import { PERF_EVENT_STATE, PERF_TYPE } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

describe('perf core: event lists', () => {
  it('keeps insertion order through removals at the head, middle and tail; an event is on one list at a time', async () => {
    const { core, type } = perfRig();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => core.open({ type, config: 1n }, { cpu: 0 }));
    expect(core.liveEvents()).to.deep.equal([a, b, c, d]);
    void core.close(b!);
    expect(core.liveEvents()).to.deep.equal([a, c, d]);
    void core.close(a!);
    void core.close(d!);
    expect(core.liveEvents()).to.deep.equal([c]);
    expect(core.isLive(c!)).to.equal(true);
    expect(core.isLive(a!)).to.equal(false);
    // A closed, freed event is on no list, so a list may take it; a second list may not take it while it is on one.
    const list = new EventList('test');
    list.add(a!);
    list.add(b!);
    list.add(d!);
    expect(() => list.add(a!)).to.throw(/already on the test list/);
    expect(list.delete(c!)).to.equal(false);
    expect(list.delete(b!)).to.equal(true);
    expect([list.toArray(), list.size]).to.deep.equal([[a, d], 2]);
    expect(list.delete(d!)).to.equal(true);
    expect(list.delete(a!)).to.equal(true);
    expect([list.toArray(), list.size]).to.deep.equal([[], 0]);
    // An event whose free sleeps is on the free path's list until its module reference is dropped.
    let wake!: () => void;
    c!.destroy = () => new Promise<void>((r) => (wake = r));
    const freed = core.close(c!);
    expect(() => new EventList('other').add(c!)).to.throw(/already on the freeing list; it cannot join other/);
    wake();
    await freed;
    expect(c!.list).to.equal(undefined);
  });
});

describe('perf core: the open events, found through their contexts', () => {
  it('are listed in the order they were opened through group joins, sibling promotion, migration and closes', async () => {
    const { core, pmu, type } = perfRig();
    const a = core.open({ type, config: 1n }, { cpu: 1 });
    const b = core.open({ type, config: 1n, pinned: true }, { cpu: 0 });
    const c = core.open({ type, config: 1n }, { cpu: 0, group: b });
    const sw = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 2 });
    const d = core.open({ type, config: 1n, disabled: true }, { cpu: 0 });
    expect(core.liveEvents()).to.deep.equal([a, b, c, sw, d]);
    // Closing a leader makes its member a group of its own; migrating moves groups to another CPU's context.
    await core.close(b);
    expect(core.migrateContext(pmu, 0, 1)).to.equal(2);
    expect(core.liveEvents()).to.deep.equal([a, c, sw, d]);
    await core.close(a);
    await core.close(d);
    expect(core.liveEvents()).to.deep.equal([c, sw]);
    await core.close(c);
    await core.close(sw);
    expect(core.liveEvents()).to.deep.equal([]);
  });

  it("keeps a software leader whose hardware members closed: the hardware PMU's context holds it, so that PMU cannot unregister", async () => {
    const { core, pmu, type } = perfRig();
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 0 });
    const member = core.open({ type, config: 1n }, { cpu: 0, group: leader });
    await core.close(member);
    expect(core.liveEvents()).to.deep.equal([leader]);
    let err: unknown;
    await core.unregister(pmu).catch((e) => (err = e));
    expect(err).to.be.instanceOf(KernelError);
    expect([(err as KernelError).code, (err as KernelError).message]).to.deep.equal([
      'EBUSY',
      "EBUSY: PMU 'test_pmu_0' still has 1 event(s); close them before unregistering",
    ]);
    expect(core.liveEvents()).to.deep.equal([leader]);
    await core.close(leader);
    expect(core.liveEvents()).to.deep.equal([]);
    // The leader left the context it was in, the hardware PMU's, not the one its PMU alone would give.
    expect(core.context(pmu, 0).empty).to.equal(true);
    expect(core.context(pmu, 0).flexible).to.deep.equal([]);
    expect(leader.ctx).to.equal(undefined);
    // Nothing is left for a migration to move.
    expect(core.migrateContext(pmu, 0, 1)).to.equal(0);
    await core.unregister(pmu);
  });

  it('adds a new hardware member to the context its software leader is already in: each event once, and every close succeeds', async () => {
    const { core, pmu, type } = perfRig();
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 0 });
    const first = core.open({ type, config: 1n }, { cpu: 0, group: leader });
    await core.close(first);
    const second = core.open({ type, config: 2n }, { cpu: 0, group: leader });
    expect(core.liveEvents()).to.deep.equal([leader, second]);
    expect(core.context(pmu, 0).flexible).to.deep.equal([leader]);
    let err: unknown;
    await core.unregister(pmu).catch((e) => (err = e));
    expect((err as KernelError).message).to.equal("EBUSY: PMU 'test_pmu_0' still has 2 event(s); close them before unregistering");
    await core.close(second);
    await core.close(leader);
    expect(core.liveEvents()).to.deep.equal([]);
    expect(core.context(pmu, 0).empty).to.equal(true);
    await core.unregister(pmu);
  });

  it("refuses with EINVAL a hardware event of another PMU joining a software leader that stays in a hardware PMU's context, changing nothing", async () => {
    const { core, pmu, type, clock } = perfRig();
    const other = new TestPmu(clock, 4);
    const otherType = core.register(other, 'test_pmu_1');
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: 0 });
    await core.close(core.open({ type, config: 1n }, { cpu: 0, group: leader }));
    expect(() => core.open({ type: otherType, config: 1n }, { cpu: 0, group: leader })).to.throw(
      KernelError,
      `EINVAL: the group of event ${leader.id} stays in test_pmu_0's context since a hardware event of it joined; an event of test_pmu_1 cannot join it: put it in a separate group`,
    );
    expect(core.liveEvents()).to.deep.equal([leader]);
    expect(core.context(pmu, 0).flexible).to.deep.equal([leader]);
    expect(core.context(other, 0).empty).to.equal(true);
    // A software event still joins it, and so does one of the PMU it stays with.
    const soft = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0, group: leader });
    const again = core.open({ type, config: 2n }, { cpu: 0, group: leader });
    expect(core.liveEvents()).to.deep.equal([leader, soft, again]);
    for (const e of [again, soft, leader]) await core.close(e);
  });

  it('enables a software leader whose hardware member closed in the context it is in, and it counts', async () => {
    const { core, pmu, type, clock } = perfRig();
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n, disabled: true }, { cpu: 0 });
    const member = core.open({ type, config: 1n, disabled: true }, { cpu: 0, group: leader });
    await core.close(member);
    // Migrated with its context, it is enabled in the context it moved to.
    expect(core.migrateContext(pmu, 0, 1)).to.equal(1);
    expect(leader.ctx).to.equal(core.context(pmu, 1));
    core.enable(leader);
    expect(leader.state).to.equal(PERF_EVENT_STATE.ACTIVE);
    clock.advance(1000);
    expect(core.read(leader)).to.include({ value: 1000, timeEnabled: 1000, timeRunning: 1000 });
    core.disable(leader);
    expect(leader.state).to.equal(PERF_EVENT_STATE.OFF);
    clock.advance(500);
    expect(core.read(leader)).to.include({ value: 1000, timeEnabled: 1000, timeRunning: 1000 });
    await core.close(leader);
    expect(core.context(pmu, 1).empty).to.equal(true);
  });

  it("keeps a software PMU registered while its event leads a group in a hardware PMU's context", async () => {
    const { core, type, clock } = perfRig();
    const soft = new SoftPmu(clock, 1);
    const softType = core.register(soft, 'soft_pmu');
    const leader = core.open({ type: softType, config: 1n }, { cpu: 0 });
    const member = core.open({ type, config: 1n }, { cpu: 0, group: leader });
    let err: unknown;
    await core.unregister(soft).catch((e) => (err = e));
    expect((err as KernelError).message).to.equal("EBUSY: PMU 'soft_pmu' still has 1 event(s); close them before unregistering");
    await core.close(member);
    await core.close(leader);
    await core.unregister(soft);
    expect(core.pmuByName('soft_pmu')).to.equal(undefined);
  });
});

/** A second software PMU: its events join hardware groups, which then live in the hardware PMU's context. */
class SoftPmu extends TestPmu {
  readonly software = true;
}
