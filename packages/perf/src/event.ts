// A perf event (attr, PMU, CPU, state, count and times), the driver's per-event hw scratch, and who opened it.
import type { FullAttr } from './attr.js';
import { PERF_EVENT_STATE } from './constants.js';
import type { PmuCpuContext } from './context.js';
import type { EventList } from './event-list.js';
import type { Pmu } from './pmu.js';

/** Per-event scratch owned by the driver, as `struct hw_perf_event`. 64-bit values as two 32-bit halves. */
export interface HwPerfEvent {
  idx: number;
  extraIdx: number;
  /** The event type the driver programs, low and high words (the high word only reaches a 64-bit PMEVTYPER). */
  config: number;
  configHi: number;
  state: number;
  prevLo: number;
  prevHi: number;
}

/** Who opened an event, for permission checks. */
export interface PerfCaller {
  readonly name: string;
  readonly capabilities: readonly ('CAP_PERFMON' | 'CAP_SYS_ADMIN')[];
}

export const ROOT: PerfCaller = { name: 'root', capabilities: ['CAP_SYS_ADMIN', 'CAP_PERFMON'] };

/**
 * A perf event: attr, PMU, CPU, state, count and times. Its fields are
 * declared and set in the constructor, not as class fields: a class field
 * (and a parameter property, under ES2022's define semantics) is set by a
 * separate initializer function that V8 does not inline into an open.
 */
export class PerfEvent {
  declare readonly id: number;
  declare readonly attr: FullAttr;
  declare pmu: Pmu;
  declare cpu: number;
  declare readonly caller: PerfCaller;
  /** The task (pid) the event is attached to, or -1 for a CPU-wide event. */
  declare readonly task: number;
  declare state: number;
  declare readonly hw: HwPerfEvent;
  /** Accumulated count (exact below 2^53). */
  declare count: number;
  declare enabledNs: number;
  declare runningNs: number;
  declare tstamp: number;
  declare leader: PerfEvent;
  declare readonly siblings: PerfEvent[];
  /**
   * A group leader's context (the kernel's event->ctx): set by addGroup, cleared by removeGroup. A group stays where
   * it is when a member leaves, and a closed leader's siblings stay in its context, so a software leader may be in a
   * hardware PMU's context that no member's PMU gives: the core uses this, never a context derived from the PMUs.
   */
  declare ctx: PmuCpuContext | undefined;
  /**
   * Called by the core when the event is freed, before the core is done with it
   * (it still uses the PMU and its module afterwards). It may sleep: the core
   * waits for a returned promise before going on.
   */
  declare destroy: ((event: PerfEvent) => void | Promise<void>) | undefined;
  /** Driver-private data. */
  declare pmuPrivate: unknown;
  /** Open: between its install and its close (the core finds open events through their contexts' groups). */
  declare live: boolean;
  /** The free path's list this event is on while its free sleeps, and its neighbours there (see EventList). */
  declare list: EventList | undefined;
  declare listPrev: PerfEvent | undefined;
  declare listNext: PerfEvent | undefined;

  constructor(id: number, attr: FullAttr, pmu: Pmu, cpu: number, caller: PerfCaller, task = -1) {
    this.id = id;
    this.attr = attr;
    this.pmu = pmu;
    this.cpu = cpu;
    this.caller = caller;
    this.task = task;
    this.state = PERF_EVENT_STATE.OFF;
    // -0 makes V8 keep these as double fields from the start, so a read costs the same for a count of
    // 10^3 (a small integer) as for 10^12 (a double): the representation never changes under a hot path.
    this.hw = { idx: -1, extraIdx: -1, config: 0, configHi: 0, state: 0, prevLo: -0, prevHi: -0 };
    this.count = -0;
    this.enabledNs = 0;
    this.runningNs = 0;
    this.tstamp = 0;
    this.leader = this;
    this.siblings = [];
    this.ctx = undefined;
    this.destroy = undefined;
    this.pmuPrivate = undefined;
    this.live = false;
    this.list = undefined;
    this.listPrev = undefined;
    this.listNext = undefined;
  }

  get isLeader(): boolean {
    return this.leader === this;
  }

  /** Leader first, then siblings. */
  groupMembers(): PerfEvent[] {
    const l = this.leader;
    return [l, ...l.siblings];
  }
}

/** What read() gives for one event. */
export interface ReadValue {
  readonly value: number;
  readonly id: number;
}

export interface ReadResult extends ReadValue {
  readonly timeEnabled: number;
  readonly timeRunning: number;
  /** The event is in ERROR (a pinned group that could not be scheduled): read() gives no data. */
  readonly notCounted: boolean;
  readonly group?: readonly ReadValue[];
}
