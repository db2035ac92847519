// _free_event: the perf core's free path, which keeps using the event's PMU after destroy.
import type { Kernel, ModuleLoader, Srcu } from '@cspmu/kernel';
import { PERF_PMU_CAP_EXCLUSIVE, PERF_EVENT_STATE as S } from './constants.js';
import type { PerfEvent } from './event.js';

/** The functions a close goes through before the event is freed, outermost first. */
const RELEASE_CHAIN = ['perf_release', 'perf_event_release_kernel', 'put_event', '_free_event'] as const;

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
  /** Events whose free has begun and not finished. */
  inFlight = 0;
  /** Events being freed that still hold their PMU's module reference (module_put not reached yet). */
  readonly holdingModule = new Set<PerfEvent>();

  constructor(
    private readonly kernel: Kernel,
    private readonly modules: ModuleLoader,
    /** The free side's SRCU: a grace period of it means every free begun before has finished. */
    readonly freeing: Srcu,
    private readonly onFreed: (event: PerfEvent) => void,
  ) {}

  free(event: PerfEvent): Promise<void> {
    const k = this.kernel;
    // Entered synchronously, so a grace period that starts after close() returns waits for this free.
    const token = this.freeing.readLock();
    this.inFlight++;
    this.holdingModule.add(event);
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
        const pmu = event.pmu;
        if (pmu.capabilities & PERF_PMU_CAP_EXCLUSIVE) k.calls.run('exclusive_event_destroy', () => undefined);
        await k.preempt('_free_event');
        const module = pmu.module;
        k.calls.run('module_put', () => this.modules.modulePut(module));
        this.holdingModule.delete(event);
        // The injected bug: a second put of the same reference (the refcount_t underflow catches it).
        if (k.inject.has('double-module-put')) k.calls.run('module_put', () => this.modules.modulePut(module));
        event.state = S.DEAD;
        this.onFreed(event);
      } finally {
        this.inFlight--;
        this.holdingModule.delete(event);
        this.freeing.readUnlock(token);
      }
    });
  }
}
