// Tests of refcount_t (underflow, saturation, increment from zero) and of SRCU grace periods across awaits.
import { expect } from 'chai';
import { KernelError, REFCOUNT_SATURATED, Refcount, Srcu } from '../src/index.js';

describe('Refcount', () => {
  const make = (initial = 1) => {
    const reports: KernelError[] = [];
    return { r: new Refcount('obj', initial, (e) => reports.push(e)), reports };
  };

  it('counts up and down and says when it reaches zero', () => {
    const { r, reports } = make(1);
    r.inc();
    r.inc();
    expect(r.count).to.equal(3);
    expect(r.decAndTest()).to.equal(false);
    expect(r.decAndTest()).to.equal(false);
    expect(r.decAndTest()).to.equal(true);
    expect(reports).to.have.length(0);
  });

  it('reports underflow and saturates instead of wrapping', () => {
    const { r, reports } = make(1);
    expect(r.decAndTest()).to.equal(true);
    expect(r.decAndTest()).to.equal(false);
    expect(reports).to.have.length(1);
    expect(reports[0]!.message).to.contain("refcount_t 'obj': underflow; use-after-free");
    expect(r.saturated).to.equal(true);
    expect(r.count).to.equal(REFCOUNT_SATURATED);
    r.inc();
    r.dec();
    expect(r.count).to.equal(REFCOUNT_SATURATED);
    expect(reports).to.have.length(1);
  });

  it('reports an increment from zero as use-after-free', () => {
    const { r, reports } = make(0);
    expect(r.incNotZero()).to.equal(false);
    expect(r.count).to.equal(0);
    r.inc();
    expect(reports.map((e) => e.message)).to.deep.equal(["EINVAL: refcount_t 'obj': addition on 0; use-after-free"]);
    expect(r.saturated).to.equal(true);
  });

  it('saturates and reports one increment short of REFCOUNT_SATURATED, and never moves again', () => {
    const { r, reports } = make(REFCOUNT_SATURATED - 2);
    r.inc();
    expect(r.count).to.equal(REFCOUNT_SATURATED - 1);
    expect(reports).to.have.length(0);
    r.inc();
    expect(reports.map((e) => e.message)).to.deep.equal(["EINVAL: refcount_t 'obj': saturated; leaking memory"]);
    expect(r.saturated).to.equal(true);
    expect(r.count).to.equal(REFCOUNT_SATURATED);
    r.inc();
    expect(r.count).to.equal(REFCOUNT_SATURATED);
    expect(reports).to.have.length(1);
  });

  it('reports a plain dec that drops the last reference (refcount_dec hitting 0 leaks the object)', () => {
    const { r, reports } = make(2);
    r.dec();
    expect(r.count).to.equal(1);
    expect(reports).to.have.length(0);
    r.dec();
    expect(reports.map((e) => e.message)).to.deep.equal(["EINVAL: refcount_t 'obj': decrement hit 0; leaking memory"]);
    expect(r.saturated).to.equal(true);
    expect(r.count).to.equal(REFCOUNT_SATURATED);
  });

  it('takes a count set above the saturation value without a report down by one on a put, and saturates it on an increment', () => {
    const { r, reports } = make(1);
    r.set(REFCOUNT_SATURATED + 5);
    r.dec();
    expect(r.decAndTest()).to.equal(false);
    expect(r.count).to.equal(REFCOUNT_SATURATED + 3);
    expect(reports).to.have.length(0);
    r.inc();
    expect(reports.map((e) => e.message)).to.deep.equal(["EINVAL: refcount_t 'obj': saturated; leaking memory"]);
    expect(r.count).to.equal(REFCOUNT_SATURATED);
  });

  it('rejects a bad initial value', () => {
    expect(() => new Refcount('x', -1, () => undefined)).to.throw(KernelError, 'non-negative');
  });
});

describe('Srcu grace periods', () => {
  it('waits for a reader in flight across awaits, not for one that entered later', async () => {
    const srcu = new Srcu('test');
    const events: string[] = [];
    let releaseEarly!: () => void;
    const early = srcu.read(async () => {
      events.push('early:in');
      await new Promise<void>((r) => (releaseEarly = r));
      events.push('early:out');
    });
    const sync = srcu.synchronize().then(() => events.push('gp'));
    let releaseLate!: () => void;
    const late = srcu.read(async () => {
      events.push('late:in');
      await new Promise<void>((r) => (releaseLate = r));
      events.push('late:out');
    });
    await Promise.resolve();
    expect(events).to.deep.equal(['early:in', 'late:in']);
    releaseEarly();
    await sync;
    expect(events).to.deep.equal(['early:in', 'late:in', 'early:out', 'gp']);
    expect(srcu.activeReaders).to.equal(1);
    releaseLate();
    await late;
    await early;
    expect(srcu.gracePeriods).to.equal(1);
  });

  it('completes at once with no readers', async () => {
    const srcu = new Srcu('idle');
    await srcu.synchronize();
    expect(srcu.gracePeriods).to.equal(1);
  });

  it('refuses an unbalanced unlock', () => {
    const srcu = new Srcu('bad');
    const t = srcu.readLock();
    srcu.readUnlock(t);
    expect(() => srcu.readUnlock(t)).to.throw(KernelError, 'unbalanced');
  });

  it('runs a callback after the grace period', async () => {
    const srcu = new Srcu('cb');
    const t = srcu.readLock();
    let ran = false;
    const p = srcu.callAfterGracePeriod(() => (ran = true));
    await Promise.resolve();
    expect(ran).to.equal(false);
    srcu.readUnlock(t);
    await p;
    expect(ran).to.equal(true);
  });
});
