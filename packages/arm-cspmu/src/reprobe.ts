import type { Device, Kernel, OrderedWorkqueue, PlatformBus, Srcu } from '@cspmu/kernel';
import type { BackendDefinition } from './backend-api.js';
import type { Binding } from './binding.js';
import './lifecycle.js';
import { matchToPmiidr, type ImplRegistry } from './registry.js';

/** What the reprobe logic needs of the driver. */
export interface ReprobeDeps {
  readonly kernel: Kernel;
  readonly platformBus: PlatformBus;
  readonly registry: ImplRegistry;
  /** The perf core's grace period: a reprobe waits for it so no event free is still running. */
  readonly perfSrcu: Srcu;
  readonly deviceOf: (binding: Binding) => Device | undefined;
}

/**
 * Moving a device to a better backend: only generic-bound devices move; an
 * idle one is reprobed at once, a busy one is marked pending and keeps
 * counting, and its reprobe is queued when its last event is destroyed, to
 * run after a grace period of the perf core (never from the destroy path).
 */
export class Reprobe {
  readonly wq: OrderedWorkqueue;

  constructor(private readonly deps: ReprobeDeps) {
    this.wq = deps.kernel.workqueue('arm_cspmu_reprobe');
  }

  /** Would a device bound as `b` move to `def`? Only generic-bound devices move, and only to a better match. */
  wouldMove(def: BackendDefinition, b: Binding & { readonly pmiidr: number }): boolean {
    const generic = b.impl === undefined || b.impl.definition.match === 'fallback';
    if (!generic) return false;
    if (def.match === 'fallback') return b.impl === undefined && this.deps.registry.vendorFor(b.pmiidr) === undefined;
    const { val, mask } = matchToPmiidr(def.match);
    return ((b.pmiidr >>> 0) & mask) === val;
  }

  markPending(b: Binding, backend: string): void {
    if (b.reprobePending) return;
    b.reprobePending = true;
    this.deps.kernel.lifecycle.fire('cspmu:reprobe-pending', { device: b.device, events: b.inUseCount, backend });
  }

  /** The last event of an instance was destroyed: queue its pending reprobe, after a grace period. */
  onIdle(b: Binding): void {
    if (!b.reprobePending) return;
    if (this.deps.kernel.inject.has('reprobe-in-destroy')) b.poison();
    this.wq.queue({
      name: `arm_cspmu reprobe ${b.device}`,
      fn: async () => {
        await this.deps.perfSrcu.synchronize();
        await this.reprobe(b, 'pending reprobe after the last event was destroyed');
      },
    });
  }

  /** Release and probe again, if the binding is still current and idle once the device lock is held. */
  async reprobe(b: Binding, reason: string): Promise<void> {
    const dev = this.deps.deviceOf(b);
    if (!dev) return;
    const bus = this.deps.platformBus;
    const released = await bus.deviceReleaseDriverIf(dev, () => dev.drvdata === b && b.idle);
    if (!released) {
      if (dev.drvdata === b && !b.idle) this.markPending(b, 'a newer backend');
      return;
    }
    this.deps.kernel.lifecycle.fire('cspmu:reprobe', { device: dev.name, reason });
    await bus.attachDevice(dev);
  }
}
