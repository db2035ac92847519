// Tests of the kernel mutex: FIFO fairness, no barging, EDEADLK on self-deadlock, lock-order inversion reports.
import { expect } from 'chai';
import { KernelError, Lockdep, Mutex } from '../src/index.js';
import { rejects } from './expect-error.js';

describe('Mutex', () => {
  it('grants the lock to waiters in FIFO order under contention', async () => {
    const m = new Mutex('fifo', new Lockdep());
    const order: string[] = [];
    const first = await m.lock('holder');
    const waiters = ['a', 'b', 'c', 'd'].map((name) =>
      m.runExclusive(async () => {
        order.push(`${name}:in`);
        await Promise.resolve();
        order.push(`${name}:out`);
      }, name),
    );
    expect(m.waiting).to.equal(4);
    expect(m.owner?.task).to.equal('holder');
    first.release();
    await Promise.all(waiters);
    expect(order).to.deep.equal(['a:in', 'a:out', 'b:in', 'b:out', 'c:in', 'c:out', 'd:in', 'd:out']);
    expect(m.stats).to.include({ acquisitions: 5, contended: 4, maxWaiters: 4 });
    expect(m.locked).to.equal(false);
  });

  it('tryLock never barges ahead of queued waiters', async () => {
    const m = new Mutex('nobarge', new Lockdep());
    const g = await m.lock('one');
    const waiter = m.lock('two');
    expect(m.tryLock('three')).to.equal(undefined);
    g.release();
    // The lock was handed to 'two' directly on release.
    expect(m.owner?.task).to.equal('two');
    expect(m.tryLock('three')).to.equal(undefined);
    (await waiter).release();
    const g3 = m.tryLock('three');
    expect(g3?.mutex).to.equal(m);
    expect(m.stats.tryLockFailures).to.equal(2);
    g3!.release();
  });

  it('fails with EDEADLK instead of hanging when the holder locks it again', async () => {
    const m = new Mutex('rec', new Lockdep());
    const err = await m.runExclusive(async () => {
      await Promise.resolve();
      return rejects(m.lock('again'));
    });
    expect(err.code).to.equal('EDEADLK');
    expect(err.errno).to.equal(35);
    expect(err.message).to.contain("recursive locking of 'rec'");
    expect(m.locked).to.equal(false);
  });

  it('does not treat an unrelated concurrent task as the holder', async () => {
    const m = new Mutex('shared', new Lockdep());
    const results: string[] = [];
    await Promise.all([m.runExclusive(async () => void results.push('x')), m.runExclusive(async () => void results.push('y'))]);
    expect(results).to.deep.equal(['x', 'y']);
  });

  it('reports a lock-order inversion naming both locks', async () => {
    const dep = new Lockdep();
    const a = new Mutex('registry_lock', dep);
    const b = new Mutex('device_lock', dep);
    await a.runExclusive(() => b.runExclusive(() => undefined));
    const err = await rejects(b.runExclusive(() => a.runExclusive(() => undefined)));
    expect(err.code).to.equal('EDEADLK');
    expect(err.message).to.contain("taking 'registry_lock' while holding 'device_lock'");
    expect(dep.reports).to.have.length(1);
    expect(dep.reports[0]).to.deep.include({
      kind: 'circular',
      acquiring: 'registry_lock',
      holding: 'device_lock',
      earlierPath: ['registry_lock', 'device_lock'],
    });
    expect(a.locked).to.equal(false);
    expect(b.locked).to.equal(false);
  });

  it('finds inversions through a longer chain of locks', async () => {
    const dep = new Lockdep();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => new Mutex(n, dep)) as [Mutex, Mutex, Mutex];
    await a.runExclusive(() => b.runExclusive(() => undefined));
    await b.runExclusive(() => c.runExclusive(() => undefined));
    const err = await rejects(c.runExclusive(() => a.runExclusive(() => undefined)));
    expect(err.message).to.contain('A -> B -> C');
  });

  it('releases the lock when the critical section throws', async () => {
    const m = new Mutex('throws', new Lockdep());
    const err = await rejects(
      m.runExclusive(() => {
        throw new KernelError('EIO', 'boom');
      }),
    );
    expect(err.code).to.equal('EIO');
    expect(m.locked).to.equal(false);
  });

  it('refuses a double release of one guard', async () => {
    const m = new Mutex('twice', new Lockdep());
    const g = await m.lock();
    g.release();
    expect(() => g.release()).to.throw(KernelError, 'released twice');
  });

  it('measures wait time with its clock', async () => {
    let t = 0;
    const m = new Mutex('timed', new Lockdep(), () => t);
    const g = await m.lock();
    const w = m.lock();
    t = 250;
    g.release();
    (await w).release();
    expect(m.stats.waitNs).to.equal(250);
  });
});
