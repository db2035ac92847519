// Tests of the exact register writes of the perf core's install and remove paths: groups, close orders, disable, enable.
import { PERF_EF_UPDATE, PERF_HES_STOPPED, PERF_HES_UPTODATE, type PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { armPmu, platformOf, RwmmioLog } from './helpers/writes.js';

/*
 * The register writes of the generic driver under the 7.3 perf core, write
 * by write, for every step of the two flows a tool uses: opened enabled,
 * read, closed; or opened disabled, ENABLE, read, DISABLE, close. The
 * expected lines restate the kernel's rules, not a run of this code:
 * - installing an event (enabled or not) reschedules the PMU's flexible
 *   groups inside one PMU disable/enable pair: PMCR = 0, del of every active
 *   group, add of every enabled group, then PMCR = 1 if a counter is in use;
 * - ENABLE does the same reschedule; DISABLE wraps the sched-out in a pair;
 * - taking an active event off (close, DISABLE of a member) is one
 *   disable/enable pair around its del: PMCR = 0, stop, PMCR = 1 while
 *   another counter is in use;
 * - closing does not reschedule: a closed leader's siblings become singleton
 *   events that keep their counters (and keep counting if they were on).
 * start: counter preload (mask >> 1), PMEVTYPER (or PMCCFILTR for the cycle
 * counter), PMEVFILTR = config1, PMEVFILT2R = config2, PMINTENSET, PMCNTENSET.
 * stop: PMCNTENCLR, PMINTENCLR.
 */

const hx = (v: number | bigint) => `0x${v.toString(16)}`;
const pmcr = (v: number) => `p0 W32 0xe04 = ${hx(v)}`;

interface Geometry {
  readonly device: string;
  /** The preload write(s) of counter p. */
  counter(p: number): string[];
}

/** 32-bit counters, one page: writel at 4p. */
const G32: Geometry = { device: 'arm-cs-arch-pmu.0', counter: (p) => [`p0 W32 ${hx(4 * p)} = 0x7fffffff`] };
/** 64-bit counters with atomic access, counters in page 1: writeq at 8p. */
const G64_DUAL: Geometry = { device: 'arm-cs-arch-pmu.1', counter: (p) => [`p1 W64 ${hx(8 * p)} = 0x7fffffffffffffff`] };
/** 64-bit counters without atomic access: low word, then high word. */
const G64_SPLIT: Geometry = { device: 'arm-cs-arch-pmu.2', counter: (p) => [`p0 W32 ${hx(8 * p)} = 0xffffffff`, `p0 W32 ${hx(8 * p + 4)} = 0x7fffffff`] };

const bit = (p: number) => hx((1 << (p & 31)) >>> 0);
const start = (g: Geometry, p: number, config: number, f1 = 0, f2 = 0) => [
  ...g.counter(p),
  `p0 W32 ${hx(0x400 + 4 * p)} = ${hx(config)}`,
  `p0 W32 ${hx(0xa00 + 4 * p)} = ${hx(f1)}`,
  `p0 W32 ${hx(0x800 + 4 * p)} = ${hx(f2)}`,
  `p0 W32 0xc40 = ${bit(p)}`,
  `p0 W32 0xc00 = ${bit(p)}`,
];
const startCycles = (g: Geometry, f1 = 0) => [...g.counter(31), `p0 W32 0x47c = ${hx(f1)}`, 'p0 W32 0xc40 = 0x80000000', 'p0 W32 0xc00 = 0x80000000'];
const stop = (p: number) => [`p0 W32 0xc20 = ${bit(p)}`, `p0 W32 0xc60 = ${bit(p)}`];

const PLATFORM = platformOf('regs', [
  armPmu({ label: 'g32', id: 0, base0: '0x60000000', counters: 5, counterBits: 32 }),
  armPmu({ label: 'g64d', id: 1, base0: '0x60010000', base1: '0x60011000', counters: 9, counterBits: 64, dualPage: true, atomic64: true }),
  armPmu({ label: 'g64n', id: 2, base0: '0x60020000', counters: 4, counterBits: 64, cycleCounter: false }),
]);

async function boot(g: Geometry): Promise<{ m: Machine; log: RwmmioLog; type: number; muxNs: number }> {
  const m = await Machine.boot({ platform: PLATFORM, installed: [] });
  const inst = [...m.driver.instances.values()].find((i) => i.device === g.device)!;
  return { m, log: new RwmmioLog(m, g.device), type: inst.type, muxNs: m.perf.muxInterval(inst) * 1_000_000 };
}

describe('Register writes: the perf core’s install and remove paths (7.3)', function () {
  this.timeout(60000);

  for (const g of [G32, G64_DUAL, G64_SPLIT]) {
    it(`single event opened enabled, read, closed (${g.device})`, async () => {
      const { m, log, type } = await boot(g);
      const e = m.perf.open({ type, config: 0x2n, config1: 0x5n, config2: 0x7n }, { cpu: 0 });
      expect(log.take()).to.deep.equal([pmcr(0), ...start(g, 0, 0x2, 0x5, 0x7), pmcr(1)]);
      m.advance(1000);
      m.perf.read(e);
      expect(log.take()).to.deep.equal([]);
      await m.perf.close(e);
      expect(log.take()).to.deep.equal([pmcr(0), ...stop(0)]);
    });

    it(`single event opened disabled, ENABLE, read, DISABLE, close (${g.device})`, async () => {
      const { m, log, type } = await boot(g);
      const e = m.perf.open({ type, config: 0x1n, config1: 0x5n, disabled: true }, { cpu: 0 });
      // The disable/enable pair around the install; enable writes nothing while no counter is in use.
      expect(log.take()).to.deep.equal([pmcr(0)]);
      m.perf.enable(e);
      expect(log.take()).to.deep.equal([pmcr(0), ...start(g, 0, 0x1, 0x5), pmcr(1)]);
      m.advance(1000);
      m.perf.read(e);
      expect(log.take()).to.deep.equal([]);
      m.perf.disable(e);
      expect(log.take()).to.deep.equal([pmcr(0), ...stop(0)]);
      await m.perf.close(e);
      expect(log.take()).to.deep.equal([]);
    });
  }

  it('stop of an event already stopped writes nothing: pmu->stop, then the close whose del stops it again', async () => {
    const { m, log, type } = await boot(G32);
    const e = m.perf.open({ type, config: 0x2n }, { cpu: 0 });
    log.take();
    m.advance(1000);
    // As the kernel's perf_event_stop does, outside any disable/enable pair: the counter stops, and its count is read.
    e.pmu.stop(e, PERF_EF_UPDATE);
    expect(log.take()).to.deep.equal(stop(0));
    expect([e.count, e.hw.state]).to.deep.equal([200, PERF_HES_STOPPED | PERF_HES_UPTODATE]);
    m.advance(1000);
    e.pmu.stop(e, PERF_EF_UPDATE);
    await m.perf.close(e);
    expect(log.take()).to.deep.equal([pmcr(0)]);
    expect(e.count).to.equal(200);
  });

  for (const g of [G32, G64_DUAL]) {
    it(`the cycle counter, both flows: counter 31 and PMCCFILTR (${g.device})`, async () => {
      const { m, log, type } = await boot(g);
      const a = m.perf.open({ type, config: 0x100000000n, config1: 0x3n }, { cpu: 0 });
      expect(log.take()).to.deep.equal([pmcr(0), ...startCycles(g, 0x3), pmcr(1)]);
      await m.perf.close(a);
      expect(log.take()).to.deep.equal([pmcr(0), ...stop(31)]);
      const b = m.perf.open({ type, config: 0x100000000n, disabled: true }, { cpu: 0 });
      m.perf.enable(b);
      m.perf.disable(b);
      await m.perf.close(b);
      expect(log.take()).to.deep.equal([pmcr(0), pmcr(0), ...startCycles(g), pmcr(1), pmcr(0), ...stop(31)]);
    });
  }

  function openGroup(m: Machine, type: number, disabledLeader: boolean): [PerfEvent, PerfEvent] {
    const leader = m.perf.open({ type, config: 0x1n, disabled: disabledLeader }, { cpu: 0 });
    const member = m.perf.open({ type, config: 0x2n }, { cpu: 0, group: leader });
    return [leader, member];
  }

  it('a group opened enabled, leader closed first: 31 writes, the sibling keeps counter 1 and goes on counting', async () => {
    const { m, log, type } = await boot(G32);
    const [leader, member] = openGroup(m, type, false);
    const t0 = m.clock.now();
    const opened = log.take();
    expect(opened).to.deep.equal([
      ...[pmcr(0), ...start(G32, 0, 0x1), pmcr(1)],
      // The member's install reschedules the group: one pair around del and both adds.
      ...[pmcr(0), ...stop(0), ...start(G32, 0, 0x1), ...start(G32, 1, 0x2), pmcr(1)],
    ]);
    m.advance(1000);
    m.perf.read(leader);
    m.perf.read(member);
    expect(log.take()).to.deep.equal([]);
    await m.perf.close(leader);
    const closedLeader = log.take();
    expect(closedLeader).to.deep.equal([pmcr(0), ...stop(0), pmcr(1)]);
    expect(member.isLeader).to.equal(true);
    expect(member.hw.idx).to.equal(1);
    m.advance(5000);
    expect(m.perf.read(member).value).to.equal(m.hardware.workload.expected({ label: 'g32', event: 0x2, filter: 0, filter2: 0 }, t0, m.clock.now()));
    await m.perf.close(member);
    const closedMember = log.take();
    expect(closedMember).to.deep.equal([pmcr(0), ...stop(1)]);
    expect(opened.length + closedLeader.length + closedMember.length).to.equal(31);
  });

  it('a group opened enabled, member closed first', async () => {
    const { m, log, type } = await boot(G64_DUAL);
    const [leader, member] = openGroup(m, type, false);
    log.take();
    await m.perf.close(member);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(1), pmcr(1)]);
    await m.perf.close(leader);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0)]);
  });

  for (const leaderFirst of [true, false]) {
    it(`a group with a disabled leader: ENABLE, read, DISABLE, close (${leaderFirst ? 'leader' : 'member'} first)`, async () => {
      const { m, log, type } = await boot(G32);
      const [leader, member] = openGroup(m, type, true);
      // Each install is a disable/enable pair; nothing can run while the leader is off.
      expect(log.take()).to.deep.equal([pmcr(0), pmcr(0)]);
      m.perf.enable(leader);
      expect(log.take()).to.deep.equal([pmcr(0), ...start(G32, 0, 0x1), ...start(G32, 1, 0x2), pmcr(1)]);
      m.advance(1000);
      m.perf.read(leader);
      m.perf.read(member);
      expect(log.take()).to.deep.equal([]);
      m.perf.disable(leader);
      expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), ...stop(1)]);
      // After DISABLE nothing is on the PMU: closing writes nothing, and the promoted sibling is not rescheduled.
      await m.perf.close(leaderFirst ? leader : member);
      expect(log.take()).to.deep.equal([]);
      await m.perf.close(leaderFirst ? member : leader);
      expect(log.take()).to.deep.equal([]);
    });
  }

  it('DISABLE and ENABLE of a running member: a pair around its stop, then a reschedule of the group', async () => {
    const { m, log, type } = await boot(G64_SPLIT);
    const [leader, member] = openGroup(m, type, false);
    log.take();
    m.perf.disable(member);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(1), pmcr(1)]);
    m.perf.enable(member);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), ...start(G64_SPLIT, 0, 0x1), ...start(G64_SPLIT, 1, 0x2), pmcr(1)]);
    m.perf.disable(leader);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), ...stop(1)]);
    // DISABLE of a member that is enabled but off the PMU still runs the pair (nothing in use: no PMCR = 1);
    // its ENABLE while the leader is off changes no register.
    m.perf.disable(member);
    expect(log.take()).to.deep.equal([pmcr(0)]);
    m.perf.enable(member);
    expect(log.take()).to.deep.equal([]);
  });

  it('opening a second group reprograms the first inside the same pair', async () => {
    const { m, log, type } = await boot(G32);
    m.perf.open({ type, config: 0x1n }, { cpu: 0 });
    log.take();
    m.perf.open({ type, config: 0x3n, config1: 0x9n }, { cpu: 0 });
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), ...start(G32, 0, 0x1), ...start(G32, 1, 0x3, 0x9), pmcr(1)]);
  });

  it('a pinned install reschedules the pinned groups too; a flexible one leaves them on', async () => {
    const { m, log, type } = await boot(G32);
    m.perf.open({ type, config: 0x1n, pinned: true }, { cpu: 0 });
    log.take();
    m.perf.open({ type, config: 0x2n, pinned: true }, { cpu: 0 });
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), ...start(G32, 0, 0x1), ...start(G32, 1, 0x2), pmcr(1)]);
    m.perf.open({ type, config: 0x3n }, { cpu: 0 });
    expect(log.take()).to.deep.equal([pmcr(0), ...start(G32, 2, 0x3), pmcr(1)]);
  });

  it('a group that does not fit next to a pinned event is undone siblings first, then the leader', async () => {
    const { m, log, type } = await boot(G32);
    m.perf.open({ type, config: 0x3n, pinned: true }, { cpu: 0 });
    const leader = m.perf.open({ type, config: 0x1n }, { cpu: 0 });
    for (let i = 0; i < 2; i++) m.perf.open({ type, config: 0x2n }, { cpu: 0, group: leader });
    log.take();
    // Four regular counters: the pinned event holds 0, so the group's fourth member finds none.
    m.perf.open({ type, config: 0x2n }, { cpu: 0, group: leader });
    expect(log.take()).to.deep.equal([
      pmcr(0),
      ...[...stop(1), ...stop(2), ...stop(3)],
      ...[...start(G32, 1, 0x1), ...start(G32, 2, 0x2), ...start(G32, 3, 0x2)],
      ...[...stop(2), ...stop(3), ...stop(1)],
      pmcr(1),
    ]);
    expect(leader.groupMembers().map((e) => e.hw.idx)).to.deep.equal([-1, -1, -1, -1]);
  });

  it('after a pinned group fails no later pinned group is tried, even one the cycle counter could take', async () => {
    const { m, log, type } = await boot(G32);
    const full = m.perf.open({ type, config: 0x1n, pinned: true }, { cpu: 0 });
    for (let i = 0; i < 3; i++) m.perf.open({ type, config: 0x1n }, { cpu: 0, group: full });
    m.perf.disable(full);
    const one = m.perf.open({ type, config: 0x2n, pinned: true }, { cpu: 0 });
    const cycles = m.perf.open({ type, config: 0x100000000n, pinned: true }, { cpu: 0 });
    log.take();
    // The full group comes first in the pinned list: it takes counters 0-3, `one` fails, and `cycles` is not tried.
    m.perf.enable(full);
    expect(log.take()).to.deep.equal([pmcr(0), ...[...stop(0), ...stop(31)], ...[0, 1, 2, 3].flatMap((p) => start(G32, p, 0x1)), pmcr(1)]);
    expect([m.perf.read(one).notCounted, m.perf.read(cycles).notCounted]).to.deep.equal([true, true]);
  });

  it('closing an event does not schedule a waiting one: that waits for the next rotation', async () => {
    const { m, log, type, muxNs } = await boot(G64_SPLIT);
    const events = [1n, 2n, 3n, 1n, 2n].map((config) => m.perf.open({ type, config }, { cpu: 0 }));
    expect(events.map((e) => e.hw.idx)).to.deep.equal([0, 1, 2, 3, -1]);
    log.take();
    await m.perf.close(events[0]!);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0), pmcr(1)]);
    expect(events[4]!.hw.idx).to.equal(-1);
    m.advance(muxNs);
    expect(events[4]!.hw.idx).to.not.equal(-1);
  });
});
