// The record of a context's rotations refills the snapshots it drops: a refilled one holds exactly the members of its rotation.
import { expect } from 'chai';
import type { PerfEvent } from '../src/event.js';
import { RotationCycle } from '../src/rotation-cycle.js';

/** As much of an event as the record reads: id, group, state and counter. */
function event(id: number, idx: number): PerfEvent {
  const e = { id, siblings: [] as PerfEvent[], state: 1, hw: { idx } } as unknown as PerfEvent & { leader: PerfEvent };
  e.leader = e;
  return e;
}

describe('Rotation record', () => {
  it('refills a dropped snapshot to the members of the rotation now, when a group has lost one since', () => {
    const a = event(1, 0);
    const b = event(2, 1);
    const c = event(3, 2);
    (a.siblings as PerfEvent[]).push(b);
    const cycle = new RotationCycle();
    // Two groups, one interval (10) apart: the record keeps the last 2F = 4 rotations. Three of them with b.
    for (let t = 0; t < 30; t += 10) cycle.record(t, t % 20 === 0 ? [a, c] : [c, a]);
    // b leaves its group: the snapshot at 30 is new, those from 40 on are refilled ones that held three members.
    (a.siblings as PerfEvent[]).length = 0;
    for (let t = 30; t < 80; t += 10) cycle.record(t, t % 20 === 0 ? [a, c] : [c, a]);
    const plan = cycle.plan(2, 10)!;
    expect(plan.windows.map((w) => [w.event.id, w.idx, w.start, w.end])).to.deep.equal([
      [1, 0, 50, 60],
      [3, 2, 50, 60],
      [1, 0, 60, 70],
      [3, 2, 60, 70],
    ]);
    expect(plan.active.map((e) => e.id)).to.deep.equal([1, 3]);
    expect(plan.period).to.equal(20);
  });
});
