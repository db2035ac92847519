// Tests that a lifecycle event's interest follows every way a listener is added or removed, so wanted() answers as wants() does.
import { expect } from 'chai';
import { createKernel, type Lifecycle, type LifecycleInterest } from '../src/index.js';

const NAME = 'device:added';

function setup(): { lc: Lifecycle; i: LifecycleInterest; other: LifecycleInterest } {
  const { kernel } = createKernel();
  const lc = kernel.lifecycle;
  return { lc, i: lc.interest(NAME), other: lc.interest('device:removed') };
}

/** wanted() and wants() agree, and say `expected`; the other event's interest stays false. */
function expectWanted(lc: Lifecycle, i: LifecycleInterest, other: LifecycleInterest, expected: boolean, step: string): void {
  expect(lc.wanted(i), step).to.equal(expected);
  expect(lc.wants(NAME), step).to.equal(expected);
  expect(lc.wanted(other), `${step} (another event)`).to.equal(false);
}

describe('Lifecycle interests', () => {
  it('on and off', () => {
    const { lc, i, other } = setup();
    const fn = () => undefined;
    expectWanted(lc, i, other, false, 'no listener');
    lc.on(NAME, fn);
    expectWanted(lc, i, other, true, 'after on');
    lc.off(NAME, fn);
    expectWanted(lc, i, other, false, 'after off');
  });

  it('addListener and removeListener', () => {
    const { lc, i, other } = setup();
    const fn = () => undefined;
    lc.addListener(NAME, fn);
    expectWanted(lc, i, other, true, 'after addListener');
    lc.removeListener(NAME, fn);
    expectWanted(lc, i, other, false, 'after removeListener');
  });

  it('once: wanted until it has fired', () => {
    const { lc, i, other } = setup();
    let calls = 0;
    lc.once(NAME, () => calls++);
    expectWanted(lc, i, other, true, 'after once');
    lc.fire(NAME, { device: 'd' });
    expect(calls).to.equal(1);
    expectWanted(lc, i, other, false, 'after the once listener fired');
  });

  it('removeAllListeners, of one event and of all', () => {
    const { lc, i, other } = setup();
    lc.on(NAME, () => undefined);
    lc.removeAllListeners(NAME);
    expectWanted(lc, i, other, false, 'after removeAllListeners(name)');
    lc.on(NAME, () => undefined);
    lc.removeAllListeners();
    expectWanted(lc, i, other, false, 'after removeAllListeners()');
  });

  it('an interest made while a listener exists starts wanted, and one per name', () => {
    const lc = createKernel().kernel.lifecycle;
    lc.on(NAME, () => undefined);
    const i = lc.interest(NAME);
    expect(lc.wanted(i)).to.equal(true);
    expect(lc.interest(NAME)).to.equal(i);
  });

  it('recording and the lifecycle tracepoint make every event wanted', () => {
    const { kernel } = createKernel();
    const lc = kernel.lifecycle;
    const i = lc.interest(NAME);
    const rec = lc.record();
    expect(lc.wanted(i)).to.equal(true);
    rec.stop();
    expect(lc.wanted(i)).to.equal(false);
    kernel.trace.enable('cspmu:lifecycle');
    expect(lc.wanted(i)).to.equal(true);
    kernel.trace.disableAll();
    expect(lc.wanted(i)).to.equal(false);
  });

  it('an interest made while recording or tracing starts wanted; a listener keeps it wanted after both stop', () => {
    const { kernel } = createKernel();
    const lc = kernel.lifecycle;
    const rec = lc.record();
    expect(lc.wanted(lc.interest(NAME))).to.equal(true);
    rec.stop();
    kernel.trace.enable('cspmu:lifecycle');
    const other = lc.interest('device:removed');
    expect(lc.wanted(other)).to.equal(true);
    lc.on(NAME, () => undefined);
    kernel.trace.enable('cspmu:lifecycle', false);
    expect(lc.wanted(lc.interest(NAME))).to.equal(true);
    expect(lc.wanted(other)).to.equal(false);
  });
});
