// Tests of the perf core on a test PMU: registration, open checks and permissions, module references, scheduling, multiplexing, reads.
import { KernelError, kerr, type ModuleDescriptor } from '@cspmu/kernel';
import { expect } from 'chai';
import { PERF_FORMAT_GROUP, PERF_FORMAT_ID, PERF_TYPE, type PerfEvent, PERF_EVENT_STATE as S } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

const MS = 1_000_000;

function throwsCode(fn: () => unknown, code: string, text?: string): KernelError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    expect((e as KernelError).code).to.equal(code);
    if (text) expect((e as KernelError).message).to.contain(text);
    return e as KernelError;
  }
  throw new Error(`expected ${code}`);
}

describe('Perf core: registration and open', () => {
  it('gives dynamic types from 6 up and refuses a duplicate name with EEXIST naming it', () => {
    const { core, pmu, clock } = perfRig();
    expect(pmu.type).to.equal(6);
    const second = new TestPmu(clock, 2);
    expect(core.register(second, 'test_pmu_1')).to.equal(7);
    throwsCode(() => core.register(new TestPmu(clock, 2), 'test_pmu_0'), 'EEXIST', "cannot register PMU 'test_pmu_0'");
    expect(core.pmus().map((p) => [p.name, p.type])).to.deep.equal([
      ['software', 1],
      ['test_pmu_0', 6],
      ['test_pmu_1', 7],
    ]);
  });

  it('passes ENOENT for a type nobody has and event_init errors through', () => {
    const { core, pmu, type } = perfRig();
    throwsCode(() => core.open({ type: 99, config: 0n }, { cpu: 0 }), 'ENOENT');
    // A raw event goes to every PMU; ours says ENOENT ("not mine") so nobody takes it.
    throwsCode(() => core.open({ type: PERF_TYPE.RAW, config: 0x2n }, { cpu: 0 }), 'ENOENT', 'no PMU handles type 4');
    pmu.initError = kerr('EOPNOTSUPP', 'sampling not supported');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0 }), 'EOPNOTSUPP');
  });

  it('holds the module reference for the event life and drops it only after destroy', async () => {
    const { kernel, core, clock, modules } = perfRig();
    const desc: ModuleDescriptor = { name: 'test_backend', version: '1', apiVersion: 1, init() {}, exit() {} };
    const mod = await modules.registerBuiltin(desc);
    const pmu = new TestPmu(clock, 2, mod);
    const type = core.register(pmu, 'backed_pmu_0');
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    expect(mod.refs).to.equal(1);
    try {
      await modules.unload('test_backend');
      expect.fail('unload should be refused');
    } catch (err) {
      expect((err as KernelError).code).to.equal('EWOULDBLOCK');
    }
    const order: string[] = [];
    e.destroy = () => void order.push(`destroy refs=${mod.refs}`);
    kernel.lifecycle.on('event:freed', () => order.push(`freed refs=${mod.refs}`));
    await core.close(e);
    expect(order).to.deep.equal(['destroy refs=1', 'freed refs=0']);
    await modules.unload('test_backend');
    expect(modules.get('test_backend')).to.equal(undefined);
  });

  it('refuses an event on a PMU whose module is going away (its exit runs): ENODEV, no reference taken, and the unload finishes', async () => {
    const { core, clock, modules } = perfRig();
    let finishExit: () => void = () => {};
    const exiting = new Promise<void>((resolve) => (finishExit = resolve));
    const mod = await modules.registerBuiltin({ name: 'leaving', version: '1', apiVersion: 1, init() {}, exit: () => exiting });
    const pmu = new TestPmu(clock, 2, mod);
    const type = core.register(pmu, 'leaving_pmu_0');
    const unloading = modules.unload('leaving');
    expect(mod.state).to.equal('going');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0 }), 'ENODEV', "ENODEV: PMU 'leaving_pmu_0': its module leaving is going away");
    expect([mod.refs, pmu.calls]).to.deep.equal([0, []]);
    finishExit();
    await unloading;
    expect(modules.get('leaving')).to.equal(undefined);
  });

  it('drops the module reference when event_init fails', async () => {
    const { core, clock, modules } = perfRig();
    const mod = await modules.registerBuiltin({ name: 'm', version: '1', apiVersion: 1, init() {}, exit() {} });
    const pmu = new TestPmu(clock, 2, mod);
    const type = core.register(pmu, 'm_pmu');
    pmu.initError = kerr('EINVAL', 'bad');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0 }), 'EINVAL');
    expect(mod.refs).to.equal(0);
  });

  it('rejects exclude bits on a NO_EXCLUDE PMU and task events on an uncore PMU', () => {
    const { core, type } = perfRig();
    throwsCode(() => core.open({ type, config: 1n, exclude_kernel: true }, { cpu: 0 }), 'EINVAL', 'cannot exclude');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, pid: 1234 }), 'EINVAL', 'uncore PMU');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: -1, pid: -1 }), 'EINVAL');
    expect(core.liveEvents()).to.have.length(0);
  });

  it('refuses system-wide events under paranoid 2 without CAP_PERFMON, with EACCES saying why', () => {
    const { core, type } = perfRig();
    const user = { name: 'alice', capabilities: [] as const };
    core.paranoid = 2;
    // perf_allow_kernel comes first (before event_init); perf_allow_cpu when the CPU context is found (after it).
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, caller: user }), 'EACCES', 'may not count kernel activity');
    throwsCode(
      () => core.open({ type: PERF_TYPE.SOFTWARE, config: 0n, exclude_kernel: true }, { cpu: 0, caller: user }),
      'EACCES',
      'needs CAP_PERFMON (or CAP_SYS_ADMIN) or perf_event_paranoid <= 0, and perf_event_paranoid is 2',
    );
    core.paranoid = 1;
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, caller: user }), 'EACCES');
    core.open({ type, config: 1n }, { cpu: 0, caller: { name: 'perfmon', capabilities: ['CAP_PERFMON'] } });
    core.paranoid = 0;
    core.open({ type, config: 1n }, { cpu: 0, caller: user });
    expect(core.liveEvents()).to.have.length(2);
  });

  it('honours CAP_SYS_ADMIN as well as CAP_PERFMON under paranoid 2, for kernel counting and CPU-wide events', () => {
    const { core, type } = perfRig();
    core.paranoid = 2;
    core.open({ type, config: 1n }, { cpu: 0, caller: { name: 'admin', capabilities: ['CAP_SYS_ADMIN'] } });
    core.open({ type, config: 1n }, { cpu: 0, caller: { name: 'perfmon', capabilities: ['CAP_PERFMON'] } });
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, caller: { name: 'net', capabilities: [] } }), 'EACCES', 'net may not count kernel');
    expect(core.liveEvents()).to.have.length(2);
  });

  it('refuses a group member on another CPU than its leader (EINVAL), after event_init', () => {
    const { core } = perfRig();
    const leader = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0 });
    throwsCode(() => core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 1, group: leader }), 'EINVAL', 'event on cpu 1 cannot join a group on cpu 0');
    const member = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0, group: leader });
    expect(leader.siblings).to.deep.equal([member]);
    expect(core.liveEvents()).to.have.length(2);
  });

  it('lets software events join an uncore group but not two hardware PMUs share one', () => {
    const { core, clock, type } = perfRig();
    const other = core.register(new TestPmu(clock, 2), 'other_pmu');
    const leader = core.open({ type, config: 1n }, { cpu: 0 });
    const sw = core.open({ type: PERF_TYPE.SOFTWARE, config: 0n }, { cpu: 0, group: leader });
    expect(sw.leader).to.equal(leader);
    throwsCode(() => core.open({ type: other, config: 1n }, { cpu: 0, group: leader }), 'EINVAL', 'cannot share a group');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, group: sw }), 'EINVAL', 'not a group leader');
    // A closed leader takes no members, and the refused open leaves nothing behind.
    const gone = core.open({ type, config: 1n }, { cpu: 0 });
    void core.close(gone);
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 0, group: gone }), 'EINVAL', `group leader ${gone.id} is closed`);
    expect(core.liveEvents()).to.deep.equal([leader, sw]);
    clock.advance(100);
    expect(core.read(leader).value).to.equal(100);
    expect(core.read(sw).value).to.equal(100);
  });

  it('validates attrs field by field', () => {
    const { core, type } = perfRig();
    throwsCode(() => core.open({ type, config: 1 as unknown as bigint }, { cpu: 0 }), 'EINVAL', 'attr.config must be a bigint');
    throwsCode(() => core.open({ type, config: 1n << 64n }, { cpu: 0 }), 'EINVAL', 'attr.config must be a bigint from 0 to 2^64-1');
    throwsCode(() => core.open({ type, config: -1n }, { cpu: 0 }), 'EINVAL', 'attr.config must be a bigint from 0 to 2^64-1, got -1n');
    throwsCode(() => core.open({ type, config: 1n, config1: -1n }, { cpu: 0 }), 'EINVAL', 'attr.config1 must be a bigint from 0 to 2^64-1, got -1n');
    throwsCode(() => core.open({ type, config: 1n, read_format: 1 << 9 }, { cpu: 0 }), 'EINVAL', 'unknown bits');
    throwsCode(() => core.open({ type, config: 1n }, { cpu: 9 }), 'EINVAL', 'cpu 9 does not exist');
  });

  it('refuses a negative bigint in every u64 attr field, naming the field and the value, and opens nothing', () => {
    const { core, type } = perfRig();
    for (const field of ['config', 'config1', 'config2', 'config3'] as const) {
      throwsCode(() => core.open({ type, config: 1n, [field]: -1n }, { cpu: 0 }), 'EINVAL', `attr.${field} must be a bigint from 0 to 2^64-1, got -1n`);
      throwsCode(() => core.open({ type, config: 1n, [field]: -(1n << 64n) }, { cpu: 0 }), 'EINVAL', `attr.${field} must be a bigint from 0 to 2^64-1`);
    }
    expect(core.liveEvents()).to.deep.equal([]);
  });
});

describe('Perf core: scheduling', () => {
  it('brackets a group sched-in with one pmu_disable/pmu_enable (nested) and starts with add', () => {
    const { core, pmu, type } = perfRig();
    const leader = core.open({ type, config: 1n, disabled: true }, { cpu: 0 });
    core.open({ type, config: 2n }, { cpu: 0, group: leader });
    pmu.calls.length = 0;
    core.enable(leader);
    expect(pmu.calls).to.deep.equal(['disable', 'add 1', 'add 2', 'enable']);
  });

  it('rolls back a group that does not fit, in reverse', () => {
    const { core, pmu, type } = perfRig(2);
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    const leader = core.open({ type, config: 1n, disabled: true }, { cpu: 0 });
    core.open({ type, config: 1n }, { cpu: 0, group: leader });
    pmu.calls.length = 0;
    core.enable(leader);
    // 'a' is rescheduled first; then the group: leader fits, sibling does not, leader is removed again.
    expect(pmu.calls).to.deep.equal(['disable', 'del 1', 'add 1', 'add 2', 'add 3 EAGAIN', 'del 2', 'enable']);
    expect(leader.state).to.equal(S.INACTIVE);
    expect(a.state).to.equal(S.ACTIVE);
  });

  it('multiplexes groups that need more counters than exist, with exact enabled and running times', () => {
    const { core, clock, type } = perfRig(3);
    const groups: PerfEvent[][] = [];
    for (let g = 0; g < 3; g++) {
      const l = core.open({ type, config: 1n }, { cpu: 0 });
      groups.push([l, core.open({ type, config: 1n }, { cpu: 0, group: l })]);
    }
    // 3 counters, three groups of 2: one group at a time, rotating every 4 ms.
    clock.advance(12 * MS);
    const r = groups.map(([l]) => core.read(l!));
    expect(r.map((x) => x.timeEnabled)).to.deep.equal([12 * MS, 12 * MS, 12 * MS]);
    // One group at a time: g1 [0,4), g2 [4,8), g3 [8,12), g1 again from 12.
    expect(r.map((x) => x.timeRunning)).to.deep.equal([4 * MS, 4 * MS, 4 * MS]);
    clock.advance(6 * MS);
    const r2 = groups.map(([l, s]) => [core.read(l!), core.read(s!)]);
    // g1 [12,16), then g2 from 16 to 18.
    expect(r2.map(([l]) => l!.timeRunning)).to.deep.equal([8 * MS, 6 * MS, 4 * MS]);
    expect(r2.map(([l]) => l!.timeEnabled)).to.deep.equal([18 * MS, 18 * MS, 18 * MS]);
    // Counts equal running time (1 per ns) for leader and sibling alike.
    for (const [l, s] of r2) {
      expect(l!.value).to.equal(l!.timeRunning);
      expect(s!.value).to.equal(s!.timeRunning);
    }
    expect(core.context(groups[0]![0]!.pmu, 0).rotations).to.equal(4);
  });

  it('rotates at the sysfs mux interval', () => {
    const { core, clock, type, kernel } = perfRig(1);
    kernel.sysfs.write('/bus/event_source/devices/test_pmu_0/perf_event_mux_interval_ms', '10\n');
    const a = core.open({ type, config: 1n }, { cpu: 0 });
    const b = core.open({ type, config: 1n }, { cpu: 0 });
    clock.advance(25 * MS);
    expect([core.read(a).timeRunning, core.read(b).timeRunning]).to.deep.equal([15 * MS, 10 * MS]);
    expect(() => kernel.sysfs.write('/bus/event_source/devices/test_pmu_0/perf_event_mux_interval_ms', '0')).to.throw(KernelError, 'integer >= 1');
  });

  it('puts a pinned group that cannot be scheduled into ERROR: not counted', () => {
    const { core, clock, type } = perfRig(1);
    core.open({ type, config: 1n, pinned: true }, { cpu: 0 });
    const p = core.open({ type, config: 1n, pinned: true }, { cpu: 0 });
    clock.advance(10);
    expect(p.state).to.equal(S.ERROR);
    const r = core.read(p);
    expect(r.notCounted).to.equal(true);
    expect(r.value).to.equal(0);
  });

  it('reads groups with PERF_FORMAT_GROUP|ID', () => {
    const { core, clock, type } = perfRig();
    const l = core.open({ type, config: 1n, read_format: PERF_FORMAT_GROUP | PERF_FORMAT_ID }, { cpu: 0 });
    const s = core.open({ type, config: 1n }, { cpu: 0, group: l });
    clock.advance(50);
    expect(core.read(l).group).to.deep.equal([
      { value: 50, id: l.id },
      { value: 50, id: s.id },
    ]);
  });

  it('disable stops counting, enable resumes, reset zeroes', () => {
    const { core, clock, type } = perfRig();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    clock.advance(10);
    core.disable(e);
    clock.advance(10);
    expect(core.read(e)).to.include({ value: 10, timeEnabled: 10, timeRunning: 10 });
    core.enable(e);
    clock.advance(5);
    expect(core.read(e).value).to.equal(15);
    core.reset(e);
    clock.advance(3);
    expect(core.read(e).value).to.equal(3);
  });

  it('promotes the siblings of a closed leader to their own groups', async () => {
    const { core, clock, type } = perfRig();
    const l = core.open({ type, config: 1n }, { cpu: 0 });
    const s = core.open({ type, config: 1n }, { cpu: 0, group: l });
    clock.advance(5);
    await core.close(l);
    expect(s.isLeader).to.equal(true);
    clock.advance(5);
    expect(core.read(s).value).to.equal(10);
    expect(() => core.close(l)).to.throw(KernelError, 'already closed');
  });

  it('migrates a context to another CPU keeping counts', () => {
    const { core, clock, type, pmu } = perfRig();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    clock.advance(100);
    expect(core.migrateContext(pmu, 0, 2)).to.equal(1);
    expect(e.cpu).to.equal(2);
    clock.advance(50);
    expect(core.read(e).value).to.equal(150);
  });

  it('refuses (EINVAL) to migrate a context to a CPU that is not online, moving nothing', () => {
    const { core, clock, type, pmu, kernel } = perfRig();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    clock.advance(100);
    for (const to of [9, -1, 1.5]) {
      expect(() => core.migrateContext(pmu, 0, to))
        .to.throw(`perf: cannot migrate test_pmu_0's events to cpu ${to}: it is not an online CPU`)
        .with.property('code', 'EINVAL');
    }
    kernel.cpus.cpuDown(3);
    expect(() => core.migrateContext(pmu, 0, 3)).to.throw('to cpu 3: it is not an online CPU');
    expect(e.cpu).to.equal(0);
    clock.advance(50);
    expect(core.read(e).value).to.equal(150);
  });

  it('refuses to unregister a PMU with live events, and waits a grace period otherwise', async () => {
    const { core, pmu, type, kernel } = perfRig();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    try {
      await core.unregister(pmu);
      expect.fail('expected EBUSY');
    } catch (err) {
      expect((err as KernelError).code).to.equal('EBUSY');
    }
    await core.close(e);
    await core.unregister(pmu);
    expect(kernel.sysfs.exists('/bus/event_source/devices/test_pmu_0')).to.equal(false);
    expect(core.srcu.gracePeriods).to.equal(1);
  });

  it('gives a PMU registered again fresh contexts: nothing of its last registration carries over', async () => {
    const { core, pmu, type } = perfRig();
    await core.close(core.open({ type, config: 1n }, { cpu: 0 }));
    await core.unregister(pmu);
    const again = core.register(pmu, 'test_pmu_0');
    const e = core.open({ type: again, config: 1n }, { cpu: 0 });
    // The event is in the new registration's context on cpu 0, so migration finds and moves it.
    expect(core.migrateContext(pmu, 0, 2)).to.equal(1);
    expect(e.cpu).to.equal(2);
  });
});
