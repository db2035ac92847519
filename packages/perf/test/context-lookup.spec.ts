// Tests that the perf core's remembered last context is used only for the same PMU and CPU: every event lands in its own PMU's context on its own CPU.
import { expect } from 'chai';
import { perfRig, TestPmu } from './helpers.js';

describe('Perf core: the context an event goes into', () => {
  it('puts events opened one after another on different CPUs of one PMU each in its own CPU context', async () => {
    const { core, pmu, type } = perfRig();
    const on0 = core.open({ type, config: 1n }, { cpu: 0 });
    const on1 = core.open({ type, config: 1n }, { cpu: 1 });
    const again0 = core.open({ type, config: 1n }, { cpu: 0 });
    // Moving CPU 0's context moves exactly its two events; CPU 1's stays.
    expect(core.migrateContext(pmu, 0, 2)).to.equal(2);
    expect([on0.cpu, on1.cpu, again0.cpu]).to.deep.equal([2, 1, 2]);
    expect(core.migrateContext(pmu, 1, 3)).to.equal(1);
    expect([on0.cpu, on1.cpu, again0.cpu]).to.deep.equal([2, 3, 2]);
    for (const e of [on0, on1, again0]) await core.close(e);
  });

  it("puts events of two PMUs opened one after another on one CPU each in its own PMU's context", async () => {
    const { core, pmu, type, clock } = perfRig();
    const other = new TestPmu(clock, 4);
    const otherType = core.register(other, 'test_pmu_1');
    pmu.calls.length = 0;
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    const b = core.open({ type: otherType, config: 1n }, { cpu: 0 });
    // Each PMU is asked to add only its own event, inside its own disable/enable pair.
    expect(pmu.calls).to.deep.equal([`init ${a.id}`, 'disable', `add ${a.id}`, 'enable']);
    expect(other.calls).to.deep.equal([`init ${b.id}`, 'disable', `add ${b.id}`, 'enable']);
    expect([pmu.used.indexOf(a), other.used.indexOf(b), pmu.used.includes(b)]).to.deep.equal([0, 0, false]);
    await core.close(a);
    await core.close(b);
  });

  it('removing a group a context does not hold leaves its groups as they were', async () => {
    const { core, pmu, type } = perfRig();
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    const b = core.open({ type, config: 1n }, { cpu: 0 });
    const elsewhere = core.open({ type, config: 1n }, { cpu: 1 });
    const ctx = core.context(pmu, 0);
    ctx.removeGroup(elsewhere);
    expect([ctx.flexible, ctx.pinned]).to.deep.equal([[a, b], []]);
    expect(core.context(pmu, 1).flexible).to.deep.equal([elsewhere]);
    for (const e of [a, b, elsewhere]) await core.close(e);
  });
});
