// A perf event (attr, PMU, CPU, state, count and times), the driver's per-event hw scratch, and who opened it.
import type { FullAttr } from './attr.js';
import { PERF_EVENT_STATE } from './constants.js';
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

/** A perf event: attr, PMU, CPU, state, count and times. */
export class PerfEvent {
  state: number = PERF_EVENT_STATE.OFF;
  // -0 makes V8 keep these as double fields from the start, so a read costs the same for a count of
  // 10^3 (a small integer) as for 10^12 (a double): the representation never changes under a hot path.
  readonly hw: HwPerfEvent = { idx: -1, extraIdx: -1, config: 0, configHi: 0, state: 0, prevLo: -0, prevHi: -0 };
  /** Accumulated count (exact below 2^53). */
  count = -0;
  enabledNs = 0;
  runningNs = 0;
  tstamp = 0;
  leader: PerfEvent = this;
  readonly siblings: PerfEvent[] = [];
  /**
   * Called by the core when the event is freed, before the core is done with it
   * (it still uses the PMU and its module afterwards). It may sleep: the core
   * waits for a returned promise before going on.
   */
  destroy: ((event: PerfEvent) => void | Promise<void>) | undefined;
  /** Driver-private data. */
  pmuPrivate: unknown;
  /** The core's list this event is on (live, then being freed), and its neighbours there (see EventList). */
  list: EventList | undefined = undefined;
  listPrev: PerfEvent | undefined = undefined;
  listNext: PerfEvent | undefined = undefined;

  constructor(
    readonly id: number,
    readonly attr: FullAttr,
    public pmu: Pmu,
    public cpu: number,
    readonly caller: PerfCaller,
    /** The task (pid) the event is attached to, or -1 for a CPU-wide event. */
    readonly task = -1,
  ) {}

  get isLeader(): boolean {
    return this.leader === this;
  }

  /** Leader first, then siblings. */
  groupMembers(): PerfEvent[] {
    const l = this.leader;
    return [l, ...l.siblings];
  }
}

/** The PMU whose context holds a group: its hardware PMU, if any. */
export function groupPmu(leader: PerfEvent): Pmu {
  if (!leader.pmu.software || leader.siblings.length === 0) return leader.pmu;
  for (const s of leader.siblings) if (!s.pmu.software) return s.pmu;
  return leader.pmu;
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
