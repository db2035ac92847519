// Sleepable RCU: read-side sections that may span awaits, and grace periods that wait for the readers already inside.
import { kerr } from '../base/errors.js';

/** A read-side section handle (the epoch it entered in); pass it back to `readUnlock`. Allocation-free. */
export type SrcuReadToken = number;

/**
 * Sleepable RCU-style grace periods. Readers may hold a section across
 * awaits. `synchronize()` resolves once every reader that entered before it
 * was called has left; readers that enter later do not hold it up.
 */
export class Srcu {
  private epoch = 0;
  /** Readers of the current epoch (the common case, kept out of the map). */
  private current = 0;
  /** Readers of older epochs still inside. */
  private readonly readers = new Map<number, number>();
  private readonly waiting: { epoch: number; done: () => void }[] = [];
  gracePeriods = 0;

  constructor(readonly name: string) {}

  readLock(): SrcuReadToken {
    this.current++;
    return this.epoch;
  }

  readUnlock(epoch: SrcuReadToken): void {
    // The common case in one test, small enough for V8 to inline into every hot caller; the rest apart.
    if (epoch === this.epoch && this.current !== 0) this.current--;
    else this.readUnlockOther(epoch);
  }

  /** An unlock of an older epoch (a grace period began since the lock), or an unbalanced one (the current epoch is never in `readers`). */
  private readUnlockOther(epoch: SrcuReadToken): void {
    const n = this.readers.get(epoch);
    if (n === undefined) {
      throw kerr('EINVAL', `srcu '${this.name}': readUnlock for epoch ${epoch} that holds no reader (unbalanced unlock)`);
    }
    if (n === 1) this.readers.delete(epoch);
    else this.readers.set(epoch, n - 1);
    if (this.waiting.length > 0) this.wake();
  }

  /** Run `fn` inside a read-side section, leaving it however `fn` ends. */
  async read<T>(fn: () => T | Promise<T>): Promise<T> {
    const t = this.readLock();
    try {
      return await fn();
    } finally {
      this.readUnlock(t);
    }
  }

  get activeReaders(): number {
    let n = this.current;
    for (const c of this.readers.values()) n += c;
    return n;
  }

  /** Wait for every pre-existing reader to leave. */
  synchronize(): Promise<void> {
    if (this.current > 0) this.readers.set(this.epoch, this.current);
    this.current = 0;
    const epoch = this.epoch++;
    return new Promise<void>((done) => {
      this.waiting.push({ epoch, done });
      this.wake();
    });
  }

  /** Run `fn` after a grace period (call_srcu). */
  callAfterGracePeriod(fn: () => void): Promise<void> {
    return this.synchronize().then(fn);
  }

  private oldestReaderEpoch(): number {
    let min = Infinity;
    for (const e of this.readers.keys()) if (e < min) min = e;
    return min;
  }

  private wake(): void {
    const oldest = this.oldestReaderEpoch();
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      if (oldest > w.epoch) {
        this.waiting.splice(i, 1);
        this.gracePeriods++;
        w.done();
      } else i++;
    }
  }
}
