// Multiplexing in closed form: a context's rotations are recorded; once a whole cycle repeats exactly, later cycles are applied at once.
import { PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent } from './event.js';
import type { RotationReplay, RotationWindow } from './pmu.js';

/** What one rotation left on the PMU: every flexible member (by id), whether it is on, and on which counter. */
interface Snapshot {
  t: number;
  readonly members: readonly PerfEvent[];
  readonly active: readonly boolean[];
  readonly idx: readonly number[];
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

  /** After a rotation at t over `flexible` (leaders), F = flexible.length. */
  record(t: number, flexible: readonly PerfEvent[]): void {
    const members = flexible.flatMap((l) => l.groupMembers()).sort((x, y) => x.id - y.id);
    // Array.from, not map(): V8 11.3's map() gives a packed array until this is optimised and a holey one after, and
    // sameOutcome, optimised on the first kind, would deoptimise on the second ("wrong map").
    this.snaps.push({ t, members, active: Array.from(members, (e) => e.state === S.ACTIVE), idx: Array.from(members, (e) => e.hw.idx) });
    if (this.snaps.length > 2 * flexible.length) this.snaps.shift();
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
