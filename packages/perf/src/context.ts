// One PMU's events on one CPU (perf_cpu_pmu_context): pinned and flexible groups, scheduling with rollback, rotation and time accounting.
import type { CallStack, Clock, Smp, Timer } from '@cspmu/kernel';
import { PERF_EF_START, PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent } from './event.js';
import type { Pmu } from './pmu.js';
import { addOn, delOn, pmuDisableOn, pmuEnableOn } from './pmu-calls.js';
import { RotationCycle } from './rotation-cycle.js';
import type { PmuCallSites } from './sites.js';

/**
 * One PMU's events on one CPU (perf_cpu_pmu_context): pinned and flexible
 * groups, group scheduling with rollback, rotation when flexible groups do
 * not all fit, nested pmu_disable/pmu_enable, and time accounting.
 */
export class PmuCpuContext {
  // Declared and set in the constructor, not class fields or parameter properties: those are first defined as
  // undefined (ES2022 define semantics), which loses V8 the field's type, and every hot load then checks a map.
  declare readonly pmu: Pmu;
  declare readonly cpu: number;
  declare readonly pinned: PerfEvent[];
  declare readonly flexible: PerfEvent[];
  declare rotateNecessary: boolean;
  declare rotations: number;
  declare private disableCount: number;
  declare private timer: Timer | undefined;
  declare private readonly cycle: RotationCycle;
  declare private readonly clock: Clock;
  declare private readonly smp: Smp;
  declare private readonly muxIntervalNs: () => number;
  declare private readonly sites: PmuCallSites;
  declare private readonly calls: CallStack;

  constructor(pmu: Pmu, cpu: number, clock: Clock, smp: Smp, muxIntervalNs: () => number, sites: PmuCallSites, calls: CallStack) {
    this.pmu = pmu;
    this.cpu = cpu;
    this.pinned = [];
    this.flexible = [];
    this.rotateNecessary = false;
    this.rotations = 0;
    this.disableCount = 0;
    this.timer = undefined;
    this.cycle = new RotationCycle();
    this.clock = clock;
    this.smp = smp;
    this.muxIntervalNs = muxIntervalNs;
    this.sites = sites;
    this.calls = calls;
  }

  get empty(): boolean {
    return this.pinned.length === 0 && this.flexible.length === 0;
  }

  /** Every event of the context's groups. */
  events(): PerfEvent[] {
    return [...this.pinned, ...this.flexible].flatMap((l) => l.groupMembers());
  }

  // ---- nested pmu disable ----

  // Each is a count and a call: small enough that V8 inlines it wherever it is used, so a nested pair (a group
  // sched-in inside a resched) costs two integer updates, and only the outermost pair calls the PMU.
  pmuDisable(): void {
    if (this.disableCount++ === 0) this.callPmuDisable();
  }

  pmuEnable(): void {
    if (--this.disableCount === 0) this.callPmuEnable();
  }

  private callPmuDisable(): void {
    pmuDisableOn(this.sites.disable, this.calls, this.smp, this.cpu, this.pmu);
  }

  private callPmuEnable(): void {
    pmuEnableOn(this.sites.enable, this.calls, this.smp, this.cpu, this.pmu);
  }

  // ---- time ----

  // The open and close paths compare states as numbers, INACTIVE 0 and ACTIVE 1 (PERF_EVENT_STATE, which a spec pins):
  // each name is a module-variable load, a hole check and a property load, and grows the bytecode V8 inlines.

  /** Account the time since the event's stamp: to its enabled time if it is enabled (INACTIVE or ACTIVE), and to its running time if it is on the PMU. */
  updateTimes(e: PerfEvent, now: number): void {
    const d = now - e.tstamp;
    e.tstamp = now;
    if (d > 0) {
      const state = e.state;
      if (state >= 0) e.enabledNs += d;
      if (state === 1) e.runningNs += d;
    }
  }

  // ---- groups ----

  addGroup(leader: PerfEvent): void {
    // New members (even ones back from another CPU at the instant of the last rotation) make the record start over, so it sees members only leave.
    this.cycle.reset();
    leader.ctx = this;
    (leader.attr.pinned ? this.pinned : this.flexible).push(leader);
  }

  /**
   * __perf_install_in_context of a new event (a leader, alone): add it, then ctx_resched. A lone
   * event joining a context that holds no other group (every open of a lone
   * event into an idle context) takes one pass with the same callbacks:
   * nothing is on the PMU to take off, and its own is the only group to
   * schedule. Anything else reschedules in full.
   */
  install(leader: PerfEvent): void {
    this.addGroup(leader);
    if (this.flexible.length === 1 && this.pinned.length === 0) this.schedInAlone(leader);
    else this.resched(leader.attr.pinned);
  }

  /**
   * ctx_resched when `e`, a lone flexible event, is the context's only group (addGroup has just reset the rotation
   * record, and rotateNecessary is already false: the last group to leave stopped the rotation).
   */
  private schedInAlone(e: PerfEvent): void {
    this.pmuDisable();
    if (e.state === 0 && this.eventSchedIn(e) < 0) {
      this.rotateNecessary = true;
      this.startRotation();
    }
    this.pmuEnable();
  }

  /** The record goes on: a group leaving lowers the member count, which the record compares. */
  removeGroup(leader: PerfEvent): void {
    const list = leader.attr.pinned ? this.pinned : this.flexible;
    // Found by a loop here rather than indexOf (a call into a builtin), shifted down and popped, not spliced: splice returns
    // an array, and emptying a list through it drops its storage, which the next open allocates again.
    let i = 0;
    while (i < list.length && list[i] !== leader) i++;
    if (i < list.length) {
      for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
      list.pop();
      leader.ctx = undefined;
    }
    if (this.flexible.length === 0) this.stopRotation();
  }

  /** event_sched_in of an INACTIVE event (0; every caller has checked): ACTIVE (1) while the PMU's add runs, back to INACTIVE if it fails. */
  private eventSchedIn(e: PerfEvent): number {
    this.updateTimes(e, this.clock.now());
    e.state = 1;
    const ret = addOn(this.sites.add, this.calls, this.smp, this.cpu, e, PERF_EF_START);
    if (ret < 0) {
      e.state = 0;
      return ret;
    }
    return 0;
  }

  /** event_sched_out: an ACTIVE event's del runs inside its own PMU disable/enable pair; it ends INACTIVE. */
  eventSchedOut(e: PerfEvent): void {
    this.updateTimes(e, this.clock.now());
    if (e.state === 1) {
      this.pmuDisable();
      delOn(this.sites.del, this.calls, this.smp, this.cpu, e, 0);
      e.state = 0;
      this.pmuEnable();
    }
  }

  /** group_sched_in with the default ADD transaction; on failure del what was added (siblings, then the leader). */
  groupSchedIn(leader: PerfEvent): number {
    if (leader.state !== S.INACTIVE) return 0;
    this.pmuDisable();
    // The leader first (it is INACTIVE), then each inactive sibling; nothing allocated (open schedules a group each time).
    let ret = this.eventSchedIn(leader);
    const sibs = leader.siblings;
    let failedAt = ret < 0 ? -1 : sibs.length;
    for (let i = 0; ret >= 0 && i < sibs.length; i++) {
      if (sibs[i]!.state !== S.INACTIVE) continue;
      ret = this.eventSchedIn(sibs[i]!);
      if (ret < 0) failedAt = i;
    }
    // Undo a partial group as the kernel does: the siblings added (the ACTIVE ones before the failure), in order, then the leader.
    if (ret < 0 && failedAt >= 0) {
      for (let i = 0; i < failedAt; i++) if (sibs[i]!.state === S.ACTIVE) this.eventSchedOut(sibs[i]!);
      this.eventSchedOut(leader);
    }
    this.pmuEnable();
    return ret < 0 ? -11 : 0;
  }

  groupSchedOut(leader: PerfEvent): void {
    this.pmuDisable();
    for (const e of leader.groupMembers()) this.eventSchedOut(e);
    this.pmuEnable();
  }

  /** Schedule every enabled, inactive group: pinned until the first failure (the rest to ERROR); flexible until the first failure. */
  schedIn(): void {
    this.pmuDisable();
    // Once a pinned group fails, no later pinned group is tried: they all go to ERROR (can_add_hw drops to 0).
    let pinnedFailed = false;
    for (const l of this.pinned) {
      if (l.state !== S.INACTIVE) continue;
      if (pinnedFailed || this.groupSchedIn(l) < 0) {
        pinnedFailed = true;
        for (const e of l.groupMembers()) {
          this.updateTimes(e, this.clock.now());
          e.state = S.ERROR;
        }
      }
    }
    let failed = false;
    this.rotateNecessary = false;
    for (const l of this.flexible) {
      if (l.state !== S.INACTIVE) continue;
      if (failed || this.groupSchedIn(l) < 0) {
        failed = true;
        this.rotateNecessary = true;
      }
    }
    this.pmuEnable();
    if (this.rotateNecessary) this.startRotation();
  }

  /**
   * ctx_resched, after an install or an enable: inside one PMU disable/enable
   * pair, take every active flexible group off the PMU (and the pinned ones
   * too when a pinned group caused it), then schedule every enabled group.
   */
  resched(pinned = false): void {
    this.cycle.reset();
    this.pmuDisable();
    if (pinned) for (const l of this.pinned) if (l.state === S.ACTIVE) this.groupSchedOut(l);
    for (const l of this.flexible) if (l.state === S.ACTIVE) this.groupSchedOut(l);
    this.schedIn();
    this.pmuEnable();
  }

  /** __perf_event_disable: one pair around taking the event (a leader: its group) off, even if it is not on. */
  disableEvent(e: PerfEvent): void {
    this.cycle.reset();
    this.pmuDisable();
    if (e.isLeader) this.groupSchedOut(e);
    else this.eventSchedOut(e);
    this.updateTimes(e, this.clock.now());
    e.state = S.OFF;
    this.pmuEnable();
  }

  /** Rotate: move the first flexible group to the tail and reschedule. */
  rotate(): void {
    if (this.flexible.length < 2) {
      this.rotateNecessary = false;
      return;
    }
    this.rotations++;
    this.pmuDisable();
    for (const l of this.flexible) if (l.state === S.ACTIVE) this.groupSchedOut(l);
    this.flexible.push(this.flexible.shift()!);
    this.schedIn();
    this.pmuEnable();
    this.cycle.record(this.clock.now(), this.flexible);
  }

  /**
   * After a rotation: if the last cycle of rotations repeats exactly, let the
   * PMU apply as many copies of it as fit before anything else could look
   * (the clock's horizon, the next timer that is not another context's),
   * then account times and rotations as if they had happened one by one.
   */
  private replayCycles(): void {
    const interval = this.muxIntervalNs();
    const plan = this.cycle.plan(this.flexible.length, interval);
    if (plan === undefined || this.pmu.replayRotations === undefined) return;
    const t = this.clock.now();
    // This context's next rotation is one of the copies; any other timer that could touch it ends them.
    this.timer?.cancel();
    this.timer = undefined;
    const limit = Math.min(this.clock.horizon(), (this.clock.nextDeadline(this) ?? Number.POSITIVE_INFINITY) - 1);
    const maxCycles = Math.floor((limit - t) / plan.period);
    const cycles = maxCycles >= 1 ? this.pmu.replayRotations({ windows: plan.windows, active: plan.active, period: plan.period, maxCycles }) : 0;
    if (!(cycles >= 1)) {
      this.startRotation();
      return;
    }
    const shift = cycles * plan.period;
    const runningPerCycle = new Map<PerfEvent, number>();
    for (const w of plan.windows) runningPerCycle.set(w.event, (runningPerCycle.get(w.event) ?? 0) + (w.end - w.start));
    for (const l of this.flexible) {
      for (const e of l.groupMembers()) {
        this.updateTimes(e, t);
        if (e.state === S.ACTIVE || e.state === S.INACTIVE) {
          e.enabledNs += shift;
          e.runningNs += cycles * (runningPerCycle.get(e) ?? 0);
        }
        e.tstamp = t + shift;
      }
    }
    this.rotations += cycles * this.flexible.length;
    this.cycle.shift(shift);
    this.clock.work.add(1);
    this.startRotation(t + shift);
  }

  /** Arm the rotation timer one interval after `from` (now), unless it is armed. */
  startRotation(from = this.clock.now()): void {
    if (this.timer?.active) return;
    // Owned by this context, so another context's rotation does not stop this one's closed form.
    this.timer = this.clock.at(
      from + this.muxIntervalNs(),
      () => {
        this.timer = undefined;
        if (!this.rotateNecessary) return;
        this.rotate();
        if (this.rotateNecessary) this.replayCycles();
      },
      this,
    );
  }

  stopRotation(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.rotateNecessary = false;
  }
}
