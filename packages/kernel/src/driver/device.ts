// A platform device: its name, resources, platform data, lock and binding state.
import { kerr } from '../base/errors.js';
import type { Mutex } from '../locking/mutex.js';
import type { Refcount } from '../locking/refcount.js';
import { Devres } from './devres.js';
import type { Driver } from './driver.js';

export type Resource =
  | { readonly type: 'mem'; readonly start: number; readonly end: number; readonly name?: string }
  | { readonly type: 'irq'; readonly irq: number };

/** A platform device: a name, resources, platform data, and its binding state. */
export class Device {
  driver: Driver | undefined;
  drvdata: unknown;
  devres = new Devres();
  registered = false;
  /** A removal is under way (it may wait for the driver to let go): a second one is refused. */
  removing = false;
  /** Why the last probe deferred, if it did (as devices_deferred shows). */
  deferReason: string | undefined;

  constructor(
    readonly name: string,
    readonly resources: readonly Resource[],
    readonly platformData: unknown,
    /** device_lock: held while probing and releasing. */
    readonly lock: Mutex,
    readonly ref: Refcount,
    /** The name of the driver this device was created for (platform device name match). */
    readonly matchName: string,
  ) {}

  /** The n-th MEM resource, or undefined. */
  mem(n: number): { start: number; end: number } | undefined {
    let k = 0;
    for (const r of this.resources) if (r.type === 'mem' && k++ === n) return r;
    return undefined;
  }

  /** platform_get_irq_optional(n): the IRQ, or ENXIO if there is none. */
  irqOptional(n: number): number {
    const irq = this.irq(n);
    if (irq === undefined) throw kerr('ENXIO', `${this.name} has no IRQ resource ${n}`);
    return irq;
  }

  /** The n-th IRQ resource, or undefined (no exception for the common "none" case). */
  irq(n: number): number | undefined {
    let k = 0;
    for (const r of this.resources) if (r.type === 'irq' && k++ === n) return r.irq;
    return undefined;
  }

  get bound(): boolean {
    return this.driver !== undefined;
  }
}
