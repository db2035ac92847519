// An ordered workqueue: items run one at a time, in order, awaits included; a failing item is reported and the queue goes on.
import { asKernelError, type KernelError, kerr } from '../base/errors.js';

export interface Work {
  readonly name: string;
  readonly fn: () => void | Promise<void>;
}

export interface WorkFailure {
  readonly work: string;
  readonly error: KernelError;
}

type Entry = { work: Work; state: 'pending' | 'running' | 'done' | 'cancelled' };

/**
 * An ordered (single-threaded) workqueue: items run one at a time in the
 * order queued, each after the previous one has fully finished, awaits
 * included. A failing item is reported through `onFailure` and recorded in
 * `failures`; the queue goes on with the next one.
 */
export class OrderedWorkqueue {
  private readonly items: Entry[] = [];
  private running: Entry | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly failures: WorkFailure[] = [];
  completed = 0;

  constructor(
    readonly name: string,
    private readonly onFailure: (f: WorkFailure) => void,
    private readonly detach: <T>(fn: () => T) => T = (fn) => fn(),
    private readonly yieldPoint: () => Promise<void> | undefined = () => undefined,
  ) {}

  /** Queue `work`; false if that very item is already pending (as queue_work). */
  queue(work: Work): boolean {
    if (typeof work?.fn !== 'function') throw kerr('EINVAL', `workqueue '${this.name}': work must have a function 'fn'`);
    if (this.items.some((e) => e.work === work)) return false;
    this.items.push({ work, state: 'pending' });
    if (!this.running) this.kick();
    return true;
  }

  /** Remove `work` if it has not started; true if it was pending. */
  cancel(work: Work): boolean {
    const i = this.items.findIndex((e) => e.work === work);
    if (i < 0) return false;
    this.items[i]!.state = 'cancelled';
    this.items.splice(i, 1);
    return true;
  }

  isPending(work: Work): boolean {
    return this.items.some((e) => e.work === work);
  }

  get pending(): number {
    return this.items.length;
  }

  get busy(): boolean {
    return this.running !== undefined || this.items.length > 0;
  }

  /** Resolve once everything queued so far (and anything it queues) has run. */
  flush(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }

  private kick(): void {
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    for (;;) {
      const next = this.items.shift();
      if (!next) break;
      this.running = next;
      next.state = 'running';
      try {
        const y = this.yieldPoint();
        if (y !== undefined) await y;
        await this.detach(() => next.work.fn());
      } catch (e) {
        const failure = { work: next.work.name, error: asKernelError(e, 'EIO', `work '${next.work.name}' failed`) };
        this.failures.push(failure);
        this.onFailure(failure);
      }
      next.state = 'done';
      this.completed++;
      this.running = undefined;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
