// Tests the single-pass install of a lone event into a context with no other group, and that every other install still reschedules in full.
import { expect } from 'chai';
import { PERF_EVENT_STATE as S } from '../src/index.js';
import { perfRig } from './helpers.js';

const MS = 1_000_000;

describe('Perf core: installing an event', () => {
  it('a lone event into an idle context: one disable/enable pair around its add, and it counts', () => {
    const { core, pmu, type, clock } = perfRig();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    expect(pmu.calls).to.deep.equal(['init 1', 'disable', 'add 1', 'enable']);
    expect(e.state).to.equal(S.ACTIVE);
    clock.advance(10);
    expect(core.read(e)).to.include({ value: 10, timeEnabled: 10, timeRunning: 10 });
  });

  it('a disabled lone event: the pair, and no add', () => {
    const { core, pmu, type } = perfRig();
    const e = core.open({ type, config: 1n, disabled: true }, { cpu: 0 });
    expect(pmu.calls).to.deep.equal(['init 1', 'disable', 'enable']);
    expect(e.state).to.equal(S.OFF);
  });

  it('a lone event that finds no counter stays INACTIVE and starts the rotation timer', () => {
    const { core, pmu, type, clock } = perfRig(0);
    const timers = clock.pendingTimers;
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    expect(pmu.calls).to.deep.equal(['init 1', 'disable', 'add 1 EAGAIN', 'enable']);
    expect(e.state).to.equal(S.INACTIVE);
    expect(core.context(pmu, 0).rotateNecessary).to.equal(true);
    expect(clock.pendingTimers).to.equal(timers + 1);
    pmu.calls.length = 0;
    clock.advance(4 * MS);
    // The rotation ran (a single group: nothing to rotate) and tried nothing more.
    expect(core.read(e)).to.include({ value: 0, timeEnabled: 4 * MS, timeRunning: 0 });
  });

  it('an event into a context with a group on the PMU reschedules in full: the group comes off and back on first', () => {
    const { core, pmu, type } = perfRig();
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    pmu.calls.length = 0;
    const b = core.open({ type, config: 1n }, { cpu: 0 });
    expect(pmu.calls).to.deep.equal(['init 2', 'disable', 'del 1', 'add 1', 'add 2', 'enable']);
    expect([a.state, b.state]).to.deep.equal([S.ACTIVE, S.ACTIVE]);
  });

  it('a pinned event reschedules in full, ahead of the flexible group already on the PMU', () => {
    const { core, pmu, type } = perfRig(1);
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    pmu.calls.length = 0;
    const p = core.open({ type, config: 1n, pinned: true }, { cpu: 0 });
    expect(pmu.calls).to.deep.equal(['init 2', 'disable', 'del 1', 'add 2', 'add 1 EAGAIN', 'enable']);
    expect([p.state, a.state]).to.deep.equal([S.ACTIVE, S.INACTIVE]);
  });

  it('an event into a context whose only group is on another CPU-context is still alone there', () => {
    const { core, pmu, type } = perfRig();
    core.open({ type, config: 1n }, { cpu: 0 });
    pmu.calls.length = 0;
    core.open({ type, config: 1n }, { cpu: 1 });
    expect(pmu.calls).to.deep.equal(['init 2', 'disable', 'add 2', 'enable']);
  });
});
