// _free_event: the perf core's free path, which keeps using the event's PMU after destroy.
import type { Kernel, ModuleLoader, Srcu, SrcuReadToken } from '@cspmu/kernel';
import { PERF_PMU_CAP_EXCLUSIVE, PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent } from './event.js';
import { EventList } from './event-list.js';
import type { EventLifecycle } from './lifecycle.js';

/** The functions a close goes through before the event is freed, outermost first. */
const RELEASE_CHAIN = ['perf_release', 'perf_event_release_kernel', 'put_event', '_free_event'] as const;

const FREED: Promise<void> = Promise.resolve();

/**
 * Free a closed event as the kernel's `_free_event` does: the PMU's destroy
 * first (which may sleep), then the core goes on using `event->pmu`: the
 * context teardown, the exclusive-event accounting (pmu->capabilities) and
 * `module_put(pmu->module)`, with points in between where it can be
 * preempted, and finally the RCU-deferred free of the event itself.
 *
 * All of it runs inside a read section of `freeing`, so a driver that
 * releases its PMU once the last event is destroyed must first wait for a
 * grace period of `freeing`; releasing it any earlier is a use-after-free
 * here, reported by KASAN at the core's next access.
 */
export class EventFreer {
  // Declared and set in the constructor (see PmuCpuContext): a class field or parameter property is first defined as
  // undefined, and the release chain's ids then load as any number, converted through a double on every push.
  /** Events whose free has begun and not finished. */
  declare inFlight: number;
  /** Events whose free sleeps (a destroy that sleeps, or a scheduler) and still hold their PMU's module reference. */
  declare private readonly sleeping: EventList;
  /**
   * Events whose free runs straight through inside close() now and still hold
   * their PMU's module reference, outermost first: more than one only when a
   * destroy closes another event, and they finish in reverse order. A stack,
   * so such a free stores the young event into one long-lived object once
   * (a write barrier), where a list stores it twice.
   */
  declare private readonly running: PerfEvent[];
  /** Events whose free failed before its module_put (a destroy that threw): their reference is never dropped, as one leaks when a kernel free oopses. */
  declare private readonly failed: PerfEvent[];

  /** The release chain's frames (RELEASE_CHAIN) and module_put's, as call-stack ids: the same constants on every machine. */
  declare private readonly perfReleaseId: number;
  declare private readonly releaseKernelId: number;
  declare private readonly putEventId: number;
  declare private readonly freeEventId: number;
  declare private readonly modulePutId: number;
  /** The machine was booted with the double-put bug (fixed at boot). */
  declare private readonly doubleModulePut: boolean;
  declare private readonly kernel: Kernel;
  declare private readonly modules: ModuleLoader;
  /** The free side's SRCU: a grace period of it means every free begun before has finished. */
  declare readonly freeing: Srcu;
  /** Fires event:freed (to any listener) when an event is dead. */
  declare private readonly events: EventLifecycle;

  constructor(kernel: Kernel, modules: ModuleLoader, freeing: Srcu, events: EventLifecycle) {
    this.kernel = kernel;
    this.modules = modules;
    this.freeing = freeing;
    this.events = events;
    this.inFlight = 0;
    this.sleeping = new EventList('freeing');
    this.running = [];
    this.failed = [];
    this.doubleModulePut = kernel.inject.has('double-module-put');
    const calls = kernel.calls;
    this.perfReleaseId = calls.intern(RELEASE_CHAIN[0]);
    this.releaseKernelId = calls.intern(RELEASE_CHAIN[1]);
    this.putEventId = calls.intern(RELEASE_CHAIN[2]);
    this.freeEventId = calls.intern(RELEASE_CHAIN[3]);
    this.modulePutId = calls.intern('module_put');
  }

  free(event: PerfEvent): Promise<void> {
    // Entered synchronously, so a grace period that starts after close() returns waits for this free.
    const token = this.freeing.readLock();
    this.inFlight++;
    return this.kernel.yieldPoint === undefined ? this.freeNow(event, token) : this.freeScheduled(event, token);
  }

  /** The free under a scheduler: it can be preempted at each preemption point. */
  private freeScheduled(event: PerfEvent, token: SrcuReadToken): Promise<void> {
    const k = this.kernel;
    this.sleeping.add(event);
    return k.calls.runAsync(RELEASE_CHAIN, async () => {
      try {
        event.state = S.EXIT;
        const destroy = event.destroy;
        if (destroy !== undefined) {
          const slept = destroy(event);
          if (slept !== undefined) await slept;
        }
        // put_ctx and the context teardown: a point where this task can be preempted.
        await k.preempt('_free_event');
        this.exclusiveDestroy(event);
        await k.preempt('_free_event');
        this.finish(event);
      } finally {
        this.abandon(event);
        this.done(token);
      }
    });
  }

  /**
   * The free when no scheduler is installed: nothing can preempt this task
   * at the preemption points, so it runs straight through inside close(),
   * as the kernel's does when nothing sleeps; only a destroy that sleeps
   * makes the rest wait for it. The release chain's frames are on the
   * call stack throughout, as the sleeping path keeps them.
   */
  private freeNow(event: PerfEvent, token: SrcuReadToken): Promise<void> {
    const calls = this.kernel.calls;
    // The chain's four frames pushed one by one (a loop over them was a call V8 did not inline).
    const depth = calls.push(this.perfReleaseId);
    calls.push(this.releaseKernelId);
    calls.push(this.putEventId);
    calls.push(this.freeEventId);
    this.running.push(event);
    let slept: Promise<void> | undefined;
    try {
      event.state = -3; // EXIT
      const destroy = event.destroy;
      if (destroy !== undefined) slept = destroy(event) as Promise<void> | undefined;
      if (slept === undefined) {
        this.exclusiveDestroy(event);
        this.finish(event);
      }
    } catch (e) {
      this.abandon(event);
      this.done(token);
      return Promise.reject(e);
    } finally {
      calls.pop(depth);
    }
    // finish() has released it: only the read section is left.
    if (slept === undefined) {
      this.done(token);
      return FREED;
    }
    // It sleeps from here: off the running stack (it is on top), onto the list.
    this.release(event);
    this.sleeping.add(event);
    const sleeping = slept;
    return calls.runAsync(RELEASE_CHAIN, async () => {
      try {
        await sleeping;
        this.exclusiveDestroy(event);
        this.finish(event);
      } finally {
        this.abandon(event);
        this.done(token);
      }
    });
  }

  /** The exclusive-event accounting reads pmu->capabilities (after destroy). */
  private exclusiveDestroy(event: PerfEvent): void {
    if (event.pmu.capabilities & PERF_PMU_CAP_EXCLUSIVE) this.exclusiveEventDestroy();
  }

  private exclusiveEventDestroy(): void {
    this.kernel.calls.run('exclusive_event_destroy', () => undefined);
  }

  /** module_put(pmu->module), then the event is dead. */
  private finish(event: PerfEvent): void {
    const k = this.kernel;
    const module = event.pmu.module;
    const depth = k.calls.push(this.modulePutId);
    try {
      this.modules.modulePut(module);
      this.release(event);
      // The injected bug: a second put of the same reference (module_put takes the base reference silently; rmmod then hits its BUG).
      if (this.doubleModulePut) this.modules.modulePut(module);
    } finally {
      k.calls.pop(depth);
    }
    event.state = -5; // DEAD
    this.events.fireFreed(event);
  }

  /** The free has finished (a free that did not reach finish() released its event first). */
  private done(token: SrcuReadToken): void {
    this.inFlight--;
    this.freeing.readUnlock(token);
  }

  /** Closed events whose free has not dropped their PMU's module reference: the sleeping frees in the order they began, the running ones, then the failed ones. */
  holdingModule(): PerfEvent[] {
    return [...this.sleeping.toArray(), ...this.running, ...this.failed];
  }

  /** A free ends, finished or not: off its list, and kept as failed if it never reached module_put (finish() marks the event dead). */
  private abandon(event: PerfEvent): void {
    this.release(event);
    if (event.state !== -5) this.failed.push(event); // not DEAD
  }

  /** The event no longer holds its module reference (again harmless: the sleeping paths release in a finally after finish()). */
  private release(event: PerfEvent): void {
    const running = this.running;
    if (running.length !== 0 && running[running.length - 1] === event) running.pop();
    else this.sleeping.delete(event);
  }
}
