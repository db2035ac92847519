// Tests that the counter engine's next overflow time is set exactly while an overflow timer is armed, and forgotten when it is cancelled.
import { createKernel, type ManualClock } from '@cspmu/kernel';
import { expect } from 'chai';
import { CounterEngine } from '../src/counter-engine.js';
import { CounterRuns } from '../src/counter-runs.js';
import { ConstantRate, ZERO_RATE } from '../src/rate-function.js';

/** One 32-bit counter (physical 0, slot 0) counting 1 event a ns, preloaded 1,000 events short of its wrap. */
function oneCounter() {
  const clock = createKernel().kernel.clock as ManualClock;
  const index = { wordOf: Int32Array.of(0), slotOf: Uint8Array.of(0), slots: 1 };
  const words = new Uint32Array(2);
  const due: number[] = [];
  const engine = new CounterEngine(32, { words, index }, clock, (_p, t) => due.push(t), new CounterRuns(index));
  words[0] = 0xffffffff - 999;
  return { clock, engine, due };
}

describe('Counter engine: the next overflow time', () => {
  it('is the overflow timer’s while it is armed, and forgotten when a stop cancels it: no read after it is due an overflow', () => {
    const { clock, engine, due } = oneCounter();
    const idle = clock.pendingTimers;
    engine.start(0, 0, new ConstantRate(1e9));
    expect([engine.counting(0)?.nextOverflow, engine.overflowBy(0, 1000), clock.pendingTimers - idle]).to.deep.equal([1000, true, 1]);
    clock.advanceTo(600);
    engine.fold(0, 600);
    engine.stop(0, 600);
    expect([engine.overflowBy(0, 1000), engine.overflowBy(0, 5000), clock.pendingTimers - idle]).to.deep.equal([false, false, 0]);
    // Started again with nothing to count: no timer to arm, and still no overflow due.
    engine.start(0, 600, ZERO_RATE);
    expect([engine.counting(0)?.nextOverflow, engine.overflowBy(0, 5000), clock.pendingTimers - idle]).to.deep.equal([Infinity, false, 0]);
    clock.advanceTo(5000);
    expect(due).to.deep.equal([]);
  });

  it('is forgotten when the timer fires, before the overflow is raised, so a stop after it has nothing to forget', () => {
    const { clock, engine, due } = oneCounter();
    engine.start(0, 0, new ConstantRate(1e9));
    clock.advanceTo(1000);
    // This overflowDue does not clear it (the model's does): the engine has already.
    expect([due, engine.overflowBy(0, 2000)]).to.deep.equal([[1000], false]);
    engine.fold(0, 1000);
    engine.stop(0, 1000);
    expect([engine.overflowBy(0, 2000), engine.counting(0)]).to.deep.equal([false, undefined]);
  });
});
