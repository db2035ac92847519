// One emulated kernel: the services of one machine (clock, log, locks, SRCU, workqueues, KASAN, call stack), shared with nothing else.
import { inject, injectable } from 'inversify';
import type { KernelError } from './base/errors.js';
import type { InjectedHazard } from './base/inject.js';
import type { KernelLog } from './base/log.js';
import { TOKENS } from './base/tokens.js';
import type { Cpus } from './cpu/cpus.js';
import type { Smp } from './cpu/smp.js';
import type { Sysfs } from './driver/sysfs.js';
import type { IrqController } from './irq/irq.js';
import type { Lockdep } from './locking/lockdep.js';
import { Mutex } from './locking/mutex.js';
import { Refcount } from './locking/refcount.js';
import { Kasan } from './mm/kasan.js';
import { Srcu } from './rcu/srcu.js';
import type { Clock } from './time/clock.js';
import { OrderedWorkqueue } from './time/workqueue.js';
import { CallStack } from './trace/calls.js';
import { CallSites } from './trace/callsites.js';
import type { Lifecycle } from './trace/lifecycle.js';
import type { TraceFs } from './trace/tracing.js';

/**
 * One emulated kernel: the services of one machine. Nothing here is global;
 * two kernels in one process share no state.
 */
@injectable()
export class Kernel {
  /** The emulated call stack, for naming callers in traces. */
  readonly calls: CallStack;
  /** Patchable call sites into drivers, for function tracing. */
  readonly callSites: CallSites;
  /** The lifetime checker (CONFIG_KASAN): on unless the machine was booted without it. */
  readonly kasan: Kasan;
  /**
   * When set, awaited at every mutex acquisition, work item and module load:
   * a test scheduler (fast-check's) decides which waiting task goes on next.
   */
  yieldPoint: ((where: string) => Promise<void> | undefined) | undefined;
  /**
   * Above zero while a path that may sleep (perf read(2) and ioctl(2), a
   * threaded interrupt handler) calls down synchronously: a callee that
   * would have to wait (a stalled bus, a hi-lo-hi retry) may then return a
   * promise and finish later instead of spinning. Atomic callers leave it 0.
   */
  preemptible = 0;

  constructor(
    @inject(TOKENS.Clock) readonly clock: Clock,
    @inject(TOKENS.Log) readonly log: KernelLog,
    @inject(TOKENS.Lockdep) readonly lockdep: Lockdep,
    @inject(TOKENS.Cpus) readonly cpus: Cpus,
    @inject(TOKENS.Smp) readonly smp: Smp,
    @inject(TOKENS.Irqs) readonly irqs: IrqController,
    @inject(TOKENS.TraceFs) readonly trace: TraceFs,
    @inject(TOKENS.Lifecycle) readonly lifecycle: Lifecycle,
    @inject(TOKENS.Sysfs) readonly sysfs: Sysfs,
    /** The known bugs this machine was booted with (empty unless a test or fuzz run asks). */
    @inject(TOKENS.Inject) readonly inject: ReadonlySet<InjectedHazard>,
    @inject(TOKENS.Kasan) kasanEnabled: boolean,
  ) {
    this.calls = new CallStack(trace.strings);
    // V8 allocates a function literal assigned straight to a property in the old generation, where it keeps
    // what it captures (this whole machine) alive until a full GC: each is made in a local first, so it dies young.
    // Shared and frozen: lockdep keeps one per lock taken and only reads it.
    const backtrace = () => this.calls.sharedChain();
    const sleep = (where: string) => this.preempt(where);
    const spawn: IrqController['spawn'] = (fn) => this.lockdep.runDetached(() => this.calls.runDetached(fn));
    lockdep.backtrace = backtrace;
    irqs.sleep = sleep;
    irqs.spawn = spawn;
    this.kasan = new Kasan(kasanEnabled, this.calls, log, lifecycle);
    this.callSites = new CallSites(new Srcu('ftrace'), this.calls);
  }

  /**
   * A point where a sleeping kernel path can be preempted or sleep (cond_resched, a
   * wait on a slow bus): other tasks may run before it goes on. Await the result.
   * `where` names the function, so a test can hold one path there on purpose.
   */
  preempt(where: string): Promise<void> {
    return this.yieldPoint?.(where) ?? Promise.resolve();
  }

  /** A mutex named `name`, in the lock class `classKey` (default: a class of its own). */
  mutex(name: string, classKey: string = name): Mutex {
    return new Mutex(
      name,
      this.lockdep,
      () => this.clock.now(),
      () => this.yieldPoint?.(`mutex_lock ${name}`),
      classKey,
    );
  }

  /** A refcount whose misuse is logged as a WARN and fired as a lifecycle event. */
  refcount(name: string, initial = 1): Refcount {
    return new Refcount(name, initial, this.reportRefcountMisuse);
  }

  /** One reporter for every refcount of this kernel (a closure per refcount would cost every device two). */
  private readonly reportRefcountMisuse = (e: KernelError): void => this.warnRefcount(e.detail, e.message);

  /** A reference count's WARN (a refcount_t's, or a count with its own rule, a module's): logged with the call trace and fired. */
  warnRefcount(detail: string, message = detail): void {
    const trace = this.calls.chain().reverse();
    this.log.warn('refcount', `WARNING: ${detail}${trace.length ? `\nCall Trace:\n${trace.map((f) => ` ${f}`).join('\n')}` : ''}`);
    this.lifecycle.fire('refcount:misuse', { message });
  }

  srcu(name: string): Srcu {
    return new Srcu(name);
  }

  /** An ordered workqueue whose failures are logged and fired, never swallowed. */
  workqueue(name: string): OrderedWorkqueue {
    return new OrderedWorkqueue(
      name,
      (f) => {
        this.log.err('workqueue', `${name}: work '${f.work}' failed: ${f.error.message}`);
        this.lifecycle.fire('work:failed', { work: f.work, errno: f.error.code, message: f.error.message });
      },
      (fn) => this.lockdep.runDetached(() => this.calls.runDetached(fn)),
      () => this.yieldPoint?.(`work ${name}`),
    );
  }
}
