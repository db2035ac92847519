// The kernel mutex: an async FIFO-fair sleeping lock that records its holder, fails EDEADLK on self-deadlock and reports to lockdep.
import { kerr } from '../base/errors.js';
import type { LockClass, Lockdep, TrackedLock } from './lockdep.js';

export interface MutexStats {
  acquisitions: number;
  /** Acquisitions that had to wait. */
  contended: number;
  tryLockFailures: number;
  maxWaiters: number;
  /** Total nanoseconds spent waiting, by the mutex's clock. */
  waitNs: number;
}

export interface MutexOwner {
  readonly task: string;
  readonly sinceNs: number;
}

interface Waiter {
  readonly task: string;
  readonly since: number;
  readonly grant: () => void;
}

/** Proof of holding a mutex; release it once. */
export interface MutexGuard {
  readonly mutex: Mutex;
  release(): void;
}

/**
 * An async, FIFO-fair sleeping lock. The holder is recorded; a task that
 * takes a mutex it already holds gets EDEADLK instead of hanging; lock order
 * is checked by the machine's lockdep. Release hands the lock straight to the
 * first waiter, so nobody can barge ahead of the queue.
 */
export class Mutex implements TrackedLock {
  private holder: MutexOwner | undefined;
  private readonly waiters: Waiter[] = [];
  readonly stats: MutexStats = { acquisitions: 0, contended: 0, tryLockFailures: 0, maxWaiters: 0, waitNs: 0 };
  /** The lock class: shared by every mutex made with the same key (every device's lock is one class). */
  readonly lockClass: LockClass;

  constructor(
    readonly name: string,
    private readonly lockdep: Lockdep,
    private readonly now: () => number = () => 0,
    /** A scheduling point before each acquisition (see Kernel.yieldPoint). */
    private readonly yieldPoint: () => Promise<void> | undefined = () => undefined,
    /** The lock class key (default: the mutex's own name, a class of one). */
    classKey: string = name,
  ) {
    this.lockClass = lockdep.classFor(classKey);
  }

  get locked(): boolean {
    return this.holder !== undefined;
  }

  get owner(): MutexOwner | undefined {
    return this.holder;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Wait for the lock. Rejects with EDEADLK if this task holds it already or the order inverts. */
  async lock(task = 'anonymous'): Promise<MutexGuard> {
    this.checkRecursion();
    this.lockdep.checkAcquire(this, task);
    const y = this.yieldPoint();
    if (y !== undefined) await y;
    if (this.holder === undefined && this.waiters.length === 0) {
      return this.take(task);
    }
    const since = this.now();
    this.stats.contended++;
    await new Promise<void>((grant) => {
      this.waiters.push({ task, since, grant });
      if (this.waiters.length > this.stats.maxWaiters) this.stats.maxWaiters = this.waiters.length;
    });
    this.stats.waitNs += this.now() - since;
    return this.guard();
  }

  /** Take the lock only if it is free and nobody waits; never waits. */
  tryLock(task = 'anonymous'): MutexGuard | undefined {
    this.checkRecursion();
    if (this.holder !== undefined || this.waiters.length > 0) {
      this.stats.tryLockFailures++;
      return undefined;
    }
    this.lockdep.checkAcquire(this, task);
    return this.take(task);
  }

  /** Run `fn` holding the lock; nested locks taken inside are ordered after this one. */
  async runExclusive<T>(fn: () => T | Promise<T>, task = 'anonymous'): Promise<T> {
    const g = await this.lock(task);
    try {
      return await this.lockdep.runHolding(this, task, fn);
    } finally {
      g.release();
    }
  }

  /** Throws EDEADLK unless the calling task holds this mutex: for "must be called locked" checks. */
  assertHeld(what: string): void {
    if (!this.lockdep.holds(this)) {
      throw kerr('EDEADLK', `${what} must be called with '${this.name}' held`);
    }
  }

  private checkRecursion(): void {
    if (this.lockdep.holds(this)) {
      throw kerr(
        'EDEADLK',
        `recursive locking of '${this.name}': this task already holds it (owner ${this.holder?.task ?? '?'}); ` +
          'release it before taking it again or restructure the call',
      );
    }
  }

  private take(task: string): MutexGuard {
    this.holder = { task, sinceNs: this.now() };
    this.stats.acquisitions++;
    return this.guard();
  }

  private guard(): MutexGuard {
    let released = false;
    return {
      mutex: this,
      release: () => {
        if (released) throw kerr('EINVAL', `mutex '${this.name}' released twice by the same guard`);
        released = true;
        this.unlock();
      },
    };
  }

  private unlock(): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.holder = undefined;
      return;
    }
    this.holder = { task: next.task, sinceNs: this.now() };
    this.stats.acquisitions++;
    next.grant();
  }
}
