// Multiplexing in closed form: a context's rotations are recorded; once a whole cycle repeats exactly, later cycles are applied at once.
import { PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent } from './event.js';
import type { RotationReplay, RotationWindow } from './pmu.js';

/** What one rotation left on the PMU: every flexible member (by id), whether it is on, and on which counter. */
interface Snapshot {
  t: number;
  /** Refilled in place when the snapshot is reused (see record): nothing outside this file keeps them. */
  readonly members: PerfEvent[];
  readonly active: boolean[];
  readonly idx: number[];
}

/**
 * The member count and the counters say it all. Members join a context only
 * through addGroup or a reschedule, and both start the record over, so
 * between resets the member list only shrinks: an equal count is the same
 * list. An arm_cspmu member is on exactly when it holds a counter; a
 * software member (never a counter) is on when its group is, and with the
 * same members the groups, their order F rotations apart and which are off
 * are the same, so each group goes on or fails as its counters show.
 */
function sameOutcome(a: Snapshot, b: Snapshot): boolean {
  if (a.members.length !== b.members.length) return false;
  for (let i = 0; i < a.members.length; i++) if (a.idx[i] !== b.idx[i]) return false;
  return true;
}

/**
 * A context's recent rotations. With F flexible groups the list order
 * repeats every F rotations, and so does what each rotation can schedule
 * while nothing else changes the context: once the last 2F rotations, one
 * interval apart, show the same outcomes F apart, the cycle is steady. The
 * plan for its repetition lists each slice of the cycle just ended; times
 * and rotation counts are the core's to add (see apply).
 */
export class RotationCycle {
  private readonly snaps: Snapshot[] = [];

  /** Something other than a rotation changed the context: start over. */
  reset(): void {
    // Setting length is a runtime call even on an empty array, and every open and close resets.
    if (this.snaps.length !== 0) this.snaps.length = 0;
  }

  /**
   * After a rotation at t over `flexible` (leaders), F = flexible.length. A rotation is a
   * hot path (every mux interval of every multiplexing context): the snapshot that drops
   * out of the last 2F is refilled for this one, so a steady context allocates nothing.
   */
  record(t: number, flexible: readonly PerfEvent[]): void {
    const s = this.snaps;
    const snap = (s.length + 1 > 2 * flexible.length ? s.shift() : undefined) ?? { t, members: [], active: [], idx: [] };
    snap.t = t;
    const members = snap.members;
    let n = 0;
    for (let g = 0; g < flexible.length; g++) {
      const leader = flexible[g]!.leader;
      members[n++] = leader;
      for (let k = 0; k < leader.siblings.length; k++) members[n++] = leader.siblings[k]!;
    }
    if (members.length !== n) members.length = n;
    // By id, as sort() gave (ids are unique): an insertion sort, since sort() copies into a work array, and groups are a handful of events.
    for (let i = 1; i < n; i++) {
      const e = members[i]!;
      let j = i - 1;
      for (; j >= 0 && members[j]!.id > e.id; j--) members[j + 1] = members[j]!;
      members[j + 1] = e;
    }
    const { active, idx } = snap;
    if (active.length > n) {
      active.length = n;
      idx.length = n;
    }
    for (let i = 0; i < n; i++) {
      active[i] = members[i]!.state === S.ACTIVE;
      idx[i] = members[i]!.hw.idx;
    }
    s.push(snap);
  }

  /** The plan for repeating the cycle that just ended (without maxCycles), or undefined if it is not steady; asked only after a rotation, so groups >= 2. */
  plan(groups: number, interval: number): Omit<RotationReplay, 'maxCycles'> | undefined {
    const s = this.snaps;
    const n = s.length - 1;
    if (s.length < 2 * groups) return undefined;
    for (let i = n - 2 * groups + 2; i <= n; i++) if (s[i]!.t - s[i - 1]!.t !== interval) return undefined;
    for (let i = n - groups + 1; i <= n; i++) if (!sameOutcome(s[i]!, s[i - groups]!)) return undefined;
    const windows: RotationWindow[] = [];
    for (let i = n - groups; i < n; i++) {
      const snap = s[i]!;
      for (let k = 0; k < snap.members.length; k++) {
        if (snap.active[k]) windows.push({ event: snap.members[k]!, idx: snap.idx[k]!, start: snap.t, end: s[i + 1]!.t });
      }
    }
    const last = s[n]!;
    return { windows, active: last.members.filter((_, k) => last.active[k]), period: groups * interval };
  }

  /** `cycles` copies of the cycle were applied: the record moves with them. */
  shift(ns: number): void {
    for (const snap of this.snaps) snap.t += ns;
  }
}
