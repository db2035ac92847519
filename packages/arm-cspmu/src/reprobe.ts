// Moving a generic-bound device to a better backend: at once when idle, or queued after its last event's destroy and a grace period.
import { type Device, type Kernel, kerr, type OrderedWorkqueue, type PlatformBus, type Srcu } from '@cspmu/kernel';
import type { BackendDefinition } from './backend-api.js';
import type { Binding } from './binding.js';
import './lifecycle.js';
import { type ImplRegistry, matchToPmiidr } from './registry.js';

/** What the reprobe logic needs of the driver. */
export interface ReprobeDeps {
  readonly kernel: Kernel;
  readonly platformBus: PlatformBus;
  readonly registry: ImplRegistry;
  /** The perf core's free side: a grace period of it means no event free begun before is still running. */
  readonly perfFreeing: Srcu;
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

  /** The reject-busy policy: EBUSY naming the generic-bound devices `def` would take that have open events. */
  refuseIfBusy(def: BackendDefinition, instances: Iterable<Binding & { readonly pmiidr: number; readonly name: string }>): void {
    const busy = [...instances].filter((i) => this.wouldMove(def, i) && !i.idle);
    if (busy.length === 0) return;
    const list = busy.map((i) => `${i.name} (${i.inUseCount} event(s))`).join(', ');
    throw kerr('EBUSY', `arm_cspmu reg failed, device(s) is in use: ${list}; close their events and load again`);
  }

  markPending(b: Binding, backend: string): void {
    if (b.reprobePending) return;
    b.reprobePending = true;
    this.deps.kernel.lifecycle.fire('cspmu:reprobe-pending', { device: b.device, events: b.inUseCount, backend });
  }

  /**
   * The last event of an instance was destroyed (we are inside the perf core's free
   * path, which goes on using the PMU after destroy): queue its pending reprobe, to
   * run once a grace period of the core's free side has passed.
   */
  onIdle(b: Binding): void | Promise<void> {
    if (!b.reprobePending) return undefined;
    const k = this.deps.kernel;
    // The injected bug, as the rejected design had it: reprobe right here, from destroy.
    if (k.inject.has('reprobe-in-destroy')) return k.calls.runAsync('arm_cspmu_reprobe', () => this.reprobeNow(b, 'reprobe from destroy'));
    // From here on no new event may start on it, so the grace period below covers every free.
    b.reprobing = true;
    this.wq.queue({
      name: `arm_cspmu reprobe ${b.device}`,
      fn: () => k.calls.runAsync('arm_cspmu_reprobe_work', () => this.reprobe(b, 'pending reprobe after the last event was destroyed')),
    });
    return undefined;
  }

  /**
   * Release and probe again, once no event free is still using the PMU: new
   * events are refused from now on (EBUSY), and a grace period of the core's
   * free side lets the frees already begun finish (the device may have gone
   * idle in the middle of one, whose remaining steps still touch the PMU).
   */
  async reprobe(b: Binding, reason: string): Promise<void> {
    b.reprobing = true;
    // The injected bug 'no-grace-period' skips this wait.
    if (!this.deps.kernel.inject.has('no-grace-period')) await this.deps.perfFreeing.synchronize();
    await this.reprobeNow(b, reason);
  }

  /** Release and probe again at once, if the binding is still current and idle once the device lock is held. */
  private async reprobeNow(b: Binding, reason: string): Promise<void> {
    // Giving up changes nothing: the binding is gone (released, or replaced under the device lock), or, only under the
    // injected reprobe-in-destroy (which never marks it reprobing), an event came in before the lock, and the binding is
    // still marked pending, so its last destroy tries again.
    const dev = this.deps.deviceOf(b);
    if (!dev) return;
    const bus = this.deps.platformBus;
    if (!(await bus.deviceReleaseDriverIf(dev, () => dev.drvdata === b && b.idle))) return;
    this.deps.kernel.lifecycle.fire('cspmu:reprobe', { device: dev.name, reason });
    await bus.attachDevice(dev);
  }
}
