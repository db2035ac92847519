// Tests of the manual and real clocks (timer order, cancellation, step, a timer storm's bound) and of the ordered workqueue.
import { expect } from 'chai';
import { createKernel, KernelError, MAX_TIMERS_AT_ONE_INSTANT, ManualClock, OrderedWorkqueue, RealClock, type WorkFailure } from '../src/index.js';

describe('ManualClock', () => {
  it('fires timers in deadline order with now() at each deadline', () => {
    const clock = new ManualClock();
    const seen: [string, number][] = [];
    clock.at(300, () => seen.push(['c', clock.now()]));
    clock.at(100, () => seen.push(['a', clock.now()]));
    clock.at(200, () => seen.push(['b1', clock.now()]));
    clock.at(200, () => seen.push(['b2', clock.now()]));
    clock.advance(250);
    expect(seen).to.deep.equal([
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
    ]);
    expect(clock.now()).to.equal(250);
    clock.advance(50);
    expect(seen.at(-1)).to.deep.equal(['c', 300]);
  });

  it('fires timers armed by timers within the same advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.after(10, () => {
      seen.push(clock.now());
      clock.after(5, () => seen.push(clock.now()));
    });
    clock.advance(100);
    expect(seen).to.deep.equal([10, 15]);
  });

  it('never fires a cancelled timer', () => {
    const clock = new ManualClock();
    let fired = 0;
    const t = clock.after(10, () => fired++);
    const u = clock.after(20, () => fired++);
    expect(t.cancel()).to.equal(true);
    expect(t.cancel()).to.equal(false);
    clock.advance(30);
    expect(fired).to.equal(1);
    expect(u.active).to.equal(false);
    expect(clock.pendingTimers).to.equal(0);
  });

  it('rejects going back in time and non-integer nanoseconds', () => {
    const clock = new ManualClock(100);
    expect(() => clock.advanceTo(50)).to.throw(KernelError, 'cannot move the clock back');
    expect(() => clock.advance(1.5)).to.throw(KernelError, 'integer');
    expect(clock.now()).to.equal(100);
  });

  it('step() jumps to the next deadline', () => {
    const clock = new ManualClock();
    clock.at(1_000_000_000_000, () => undefined);
    expect(clock.step()).to.equal(true);
    expect(clock.now()).to.equal(1_000_000_000_000);
    expect(clock.step()).to.equal(false);
  });

  it('fails a timer storm with EDEADLK instead of spinning: a timer that arms itself again at its own deadline holds time still', () => {
    const bound = 1000;
    const clock = new ManualClock(100, bound);
    const owner = new (class OverflowingDevice {})();
    let fired = 0;
    const rearm = () => {
      fired++;
      // Past twice the bound the test ends the storm itself, so a clock without the bound fails here rather than spinning.
      if (fired > 2 * bound) throw new Error('the clock let a storm run past its bound');
      clock.at(clock.now(), rearm, owner);
    };
    clock.at(150, rearm, owner);
    const later: number[] = [];
    clock.at(151, () => later.push(clock.now()));
    expect(() => clock.advance(1000)).to.throw(
      KernelError,
      'EDEADLK: timer storm: over 1000 timers fired at 150 ns without time moving on (the last armed by a OverflowingDevice); a timer that arms itself again at its own deadline holds the clock there: its callback must make progress',
    );
    // The first fire moved time to 150 and counts as the instant's first: exactly `bound` fire there, and the next is dropped, not fired.
    expect([fired, clock.now(), later]).to.deep.equal([bound, 150, []]);
    // The clock is usable again: the timer at 151 fires on the next advance.
    clock.advance(1);
    expect(later).to.deep.equal([151]);
    // A burst as large as the bound at one instant is no storm, and neither is one at each of many instants.
    let burst = 0;
    for (let i = 0; i < bound; i++) clock.at(200, () => burst++);
    for (let i = 0; i < 3 * bound; i++) clock.at(300 + (i % 3), () => burst++);
    clock.advanceTo(400);
    expect(burst).to.equal(4 * bound);
    // The default bound is well above any real burst, and a bad bound is refused.
    expect(new ManualClock().maxTimersAtOneInstant)
      .to.equal(MAX_TIMERS_AT_ONE_INSTANT)
      .and.to.equal(2 ** 20);
    expect(() => new ManualClock(0, 0)).to.throw(KernelError, 'EINVAL: the timers at one instant must be bounded by a positive integer, got 0');
  });

  it('RealClock returns increasing integer nanoseconds', () => {
    const c = new RealClock();
    const a = c.now();
    const b = c.now();
    expect(Number.isInteger(a)).to.equal(true);
    expect(b).to.be.at.least(a);
  });
});

describe('OrderedWorkqueue', () => {
  it('runs items one at a time in order, awaits included', async () => {
    const failures: WorkFailure[] = [];
    const wq = new OrderedWorkqueue('wq', (f) => failures.push(f));
    const log: string[] = [];
    for (const n of ['a', 'b', 'c']) {
      wq.queue({
        name: n,
        fn: async () => {
          log.push(`${n}+`);
          await Promise.resolve();
          log.push(`${n}-`);
        },
      });
    }
    await wq.flush();
    expect(log).to.deep.equal(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(wq.completed).to.equal(3);
    expect(failures).to.deep.equal([]);
  });

  it('reports a failing item and goes on with the next', async () => {
    const { kernel } = createKernel();
    const wq = kernel.workqueue('deferwq');
    const ran: string[] = [];
    const fired: unknown[] = [];
    kernel.lifecycle.on('work:failed', (p) => fired.push(p));
    wq.queue({
      name: 'bad',
      fn: () => {
        throw new KernelError('ENODEV', 'device vanished');
      },
    });
    wq.queue({ name: 'good', fn: () => void ran.push('good') });
    await wq.flush();
    expect(ran).to.deep.equal(['good']);
    expect(wq.failures.map((f) => [f.work, f.error.code])).to.deep.equal([['bad', 'ENODEV']]);
    expect(fired).to.deep.equal([{ work: 'bad', errno: 'ENODEV', message: 'ENODEV: device vanished' }]);
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.deep.equal(["deferwq: work 'bad' failed: ENODEV: device vanished"]);
  });

  it('cancels pending work and refuses to queue an item twice', async () => {
    const wq = new OrderedWorkqueue('wq', () => undefined);
    const ran: string[] = [];
    const a = { name: 'a', fn: () => void ran.push('a') };
    const b = { name: 'b', fn: () => void ran.push('b') };
    expect(wq.queue(a)).to.equal(true);
    expect(wq.queue(a)).to.equal(false);
    wq.queue(b);
    expect(wq.cancel(a)).to.equal(true);
    expect(wq.cancel(a)).to.equal(false);
    await wq.flush();
    expect(ran).to.deep.equal(['b']);
  });

  it('flush also waits for work queued by running work', async () => {
    const wq = new OrderedWorkqueue('wq', () => undefined);
    const ran: string[] = [];
    wq.queue({
      name: 'first',
      fn: () => {
        ran.push('first');
        wq.queue({ name: 'second', fn: () => void ran.push('second') });
      },
    });
    await wq.flush();
    expect(ran).to.deep.equal(['first', 'second']);
  });
});
