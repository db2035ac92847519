// Multiplexing in closed form after an event named in the recorded cycle's windows is closed: no plan names it again, and its count stays what its close folded.

import type { PerfEvent, RotationReplay } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { onePmu } from './helpers/platforms.js';

/**
 * Four pairs, one pair a slice, rotating every 1 ms. The cycle is steady at 11 ms and two copies of it are applied
 * (to 19 ms); the last pair's second event (the highest id) is closed at 19.5 ms, in the first pair's slice: the
 * record still holds that cycle, whose windows name it, and the device's replay does not ask whether the events it is
 * given are open. Every plan the core offers the driver is kept, as the ids of the events its windows name.
 */
async function closeInRecordedCycle(stepwise: boolean) {
  const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
  if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
  const w = m.driver.bindings()[0]!.pmu;
  const evs: PerfEvent[] = [0, 1, 2, 3].flatMap(() => m.open(`{${w}/event=0x1/,${w}/event=0x2/}`));
  const inst = m.driver.instanceByName(w)!;
  const offered: { at: number; named: number[] }[] = [];
  const replay = inst.replayRotations!;
  (inst as { replayRotations: (plan: RotationReplay) => number }).replayRotations = (plan) => {
    offered.push({ at: m.kernel.clock.now(), named: [...new Set(plan.windows.map((x) => x.event.id))].sort((a, b) => a - b) });
    return replay(plan);
  };
  m.perf.setMuxInterval(evs[0]!.pmu, 1);
  const mark = m.kernel.clock.work.steps;
  m.advance(19_500_000);
  const closed = evs[7]!;
  const atClose = m.perf.read(closed).value;
  const closing = m.perf.close(closed);
  const folded = closed.count;
  m.advance(20_000_000);
  const reads = evs.slice(0, 7).map((e) => m.perf.read(e));
  const work = m.kernel.clock.work.since(mark);
  await closing;
  const result = { reads, atClose, folded, after: closed.count, id: closed.id, offered, work };
  await m.shutdown();
  return result;
}

describe('Multiplexing in closed form: an event of the recorded cycle closed before its next rotation', function () {
  this.timeout(60000);

  it('no later plan names it, its count stays what its close folded, and the others count as stepped, in closed form again', async () => {
    const fast = await closeInRecordedCycle(false);
    const slow = await closeInRecordedCycle(true);
    // Its pair had four 1 ms slices by 19.5 ms: 4 ms of a 250 MHz event.
    expect([fast.atClose, fast.folded, fast.after]).to.deep.equal([1_000_000, 1_000_000, 1_000_000]);
    expect(fast.reads).to.deep.equal(slow.reads);
    // The cycle recorded before the close names it; the next plan, once eight rotations after the close repeat four apart, names the seven open events.
    expect(fast.offered).to.deep.equal([
      { at: 11_000_000, named: [1, 2, 3, 4, 5, 6, 7, 8] },
      { at: 27_000_000, named: [1, 2, 3, 4, 5, 6, 7] },
    ]);
    expect(fast.id).to.equal(8);
    expect(fast.work, 'the closed form ran').to.be.below(slow.work);
  });
});
