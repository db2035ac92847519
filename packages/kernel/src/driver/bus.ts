// The platform bus and driver core: devices, drivers, matching, probe, bind and unbind under the device lock, deferred probe.
import { asKernelError, describeValue, KernelError, kerr } from '../base/errors.js';
import { Ida } from '../base/ida.js';
import type { Kernel } from '../kernel.js';
import type { OrderedWorkqueue, Work } from '../time/workqueue.js';
import { Device, type Resource } from './device.js';
import type { Driver } from './driver.js';

/** Every device's lock is one lock class, as `struct device`'s mutex is in the kernel. */
export const DEVICE_LOCK_CLASS = '&dev->mutex';

/**
 * The platform bus and driver core: devices and drivers, matching, probe,
 * bind and unbind with managed resources, and deferred probe. A probe that
 * returns EPROBE_DEFER parks the device on the pending list; every
 * successful bind triggers a retry of the pending devices on the ordered
 * `deferwq`, and a trigger that arrives during a probe causes another pass.
 */
export class PlatformBus {
  private readonly devices: Device[] = [];
  private readonly byName = new Map<string, Device>();
  private readonly drivers: Driver[] = [];
  // The deferred lists change in place, never replaced: a replacement from filter() or [] may have another elements kind
  // (another hidden class), which deoptimised the optimised code that appends to them ("wrong map").
  private readonly pending: Device[] = [];
  private readonly active: Device[] = [];
  private triggerCount = 0;
  /** The platform auto-id allocator (PLATFORM_DEVID_AUTO): ids in use, and each auto device's id. */
  private readonly autoIds = new Ida();
  private readonly autoIdOf = new Map<string, number>();
  readonly deferwq: OrderedWorkqueue;
  /** Deferred probing runs once late initcalls are done; the machine turns it on after boot. */
  deferredProbeEnabled = true;
  private readonly deferWork: Work;

  constructor(private readonly kernel: Kernel) {
    this.deferwq = kernel.workqueue('deferwq');
    this.deferWork = { name: 'deferred_probe_work_func', fn: () => this.deferredProbeWork() };
  }

  // ---- devices ----

  /** The name an auto-id device `name` added now would get (a platform_device_add that fails gives its id back, so messages name it). */
  nextAutoName(name: string): string {
    const k = this.autoIds.alloc();
    this.autoIds.free(k);
    return `${name}.${k}.auto`;
  }

  /**
   * platform_device_alloc + platform_device_add: named `<name>.<id>`, or with
   * id 'auto' `<name>.<k>.auto` (k the lowest id free among auto-id devices),
   * then probed if a driver matches.
   */
  async addDevice(name: string, id: number | 'auto', resources: readonly Resource[], platformData?: unknown): Promise<Device> {
    if (typeof name !== 'string' || name.length > 64 || !/^[a-z0-9][a-z0-9_-]*$/i.test(name))
      throw kerr('EINVAL', `device name ${describeValue(name)} must be a simple identifier`);
    if (id !== 'auto' && (!Number.isInteger(id) || id < 0 || id > 0x7fffffff))
      throw kerr('EINVAL', `device id ${describeValue(id)} must be 0..2^31-1 or 'auto'`);
    if (!Array.isArray(resources)) throw kerr('EINVAL', `device ${name}.${id}: resources must be a list`);
    let full = `${name}.${id}`;
    if (id === 'auto') {
      const k = this.autoIds.alloc();
      full = `${name}.${k}.auto`;
      this.autoIdOf.set(full, k);
    }
    if (this.byName.has(full)) throw kerr('EEXIST', `device '${full}' already exists on the platform bus`);
    const dev = new Device(
      full,
      resources,
      platformData,
      this.kernel.mutex(`device:${full}`, DEVICE_LOCK_CLASS),
      this.kernel.refcount(`device:${full}`, 1),
      name,
    );
    dev.registered = true;
    this.devices.push(dev);
    this.byName.set(full, dev);
    this.kernel.lifecycle.fire('device:added', { device: full });
    await this.probeDevice(dev);
    return dev;
  }

  /**
   * Unbind (if bound) and unregister a device; it is released when its last reference goes.
   * With `stillWanted`, nothing happens (false) unless it holds once the device lock is taken.
   */
  async removeDevice(dev: Device, stillWanted?: () => boolean): Promise<boolean> {
    checkDevice(dev, 'removeDevice');
    if (!dev.registered) throw kerr('ENODEV', `device '${dev.name}' is not registered`);
    if (dev.removing) throw kerr('ENODEV', `device '${dev.name}' is already being removed`);
    dev.removing = true;
    try {
      const go = await this.kernel.calls.runAsync('device_release_driver', () =>
        dev.lock.runExclusive(async () => {
          if (stillWanted && !stillWanted()) return false;
          await this.releaseLocked(dev);
          return true;
        }, 'device_del'),
      );
      if (!go) return false;
    } finally {
      dev.removing = false;
    }
    dev.registered = false;
    this.devices.splice(this.devices.indexOf(dev), 1);
    this.byName.delete(dev.name);
    this.undefer(dev);
    const auto = this.autoIdOf.get(dev.name);
    if (auto !== undefined) {
      this.autoIds.free(auto);
      this.autoIdOf.delete(dev.name);
    }
    this.kernel.lifecycle.fire('device:removed', { device: dev.name });
    this.putDevice(dev);
    return true;
  }

  allDevices(): readonly Device[] {
    return this.devices;
  }

  device(name: string): Device | undefined {
    return this.byName.get(name);
  }

  getDevice(dev: Device): Device {
    dev.ref.inc();
    return dev;
  }

  putDevice(dev: Device): void {
    dev.ref.decAndTest();
  }

  /** driver_find_device: the first device bound to `drv` that `match` accepts, with a reference the caller must put. */
  findDevice(drv: Driver, match: (dev: Device) => boolean): Device | undefined {
    const dev = this.devices.find((d) => d.driver === drv && match(d));
    return dev ? this.getDevice(dev) : undefined;
  }

  /** Devices waiting for a deferred retry (devices_deferred), with the reason each gave. */
  deferredDevices(): { device: string; reason: string }[] {
    return [...this.pending, ...this.active].map((d) => ({ device: d.name, reason: d.deferReason ?? '' }));
  }

  isDeferred(dev: Device): boolean {
    return this.pending.includes(dev) || this.active.includes(dev);
  }

  // ---- drivers ----

  async registerDriver(drv: Driver): Promise<void> {
    if (typeof drv?.probe !== 'function' || typeof drv.name !== 'string') throw kerr('EINVAL', 'a driver needs a name and a probe function');
    if (this.drivers.some((d) => d.name === drv.name)) throw kerr('EBUSY', `driver '${drv.name}' is already registered`);
    this.drivers.push(drv);
    this.kernel.lifecycle.fire('driver:registered', { driver: drv.name });
    await this.driverAttach(drv);
  }

  async unregisterDriver(drv: Driver): Promise<void> {
    const i = this.drivers.indexOf(drv);
    if (i < 0) throw kerr('ENOENT', `driver '${drv.name}' is not registered`);
    this.drivers.splice(i, 1);
    for (const dev of [...this.devices]) if (dev.driver === drv) await this.deviceReleaseDriver(dev);
    this.kernel.lifecycle.fire('driver:unregistered', { driver: drv.name });
  }

  matches(drv: Driver, dev: Device): boolean {
    return dev.matchName === drv.name || (drv.idTable?.includes(dev.matchName) ?? false);
  }

  /** driver_attach: probe every registered, unbound device the driver matches, one at a time. */
  async driverAttach(drv: Driver): Promise<void> {
    for (const dev of [...this.devices]) {
      if (!dev.registered || dev.bound || !this.matches(drv, dev)) continue;
      this.getDevice(dev);
      try {
        await dev.lock.runExclusive(() => this.reallyProbe(dev, drv), 'driver_attach');
      } finally {
        this.putDevice(dev);
      }
    }
  }

  /** device_release_driver: remove, release every managed resource, leave the device unbound and not deferred. */
  /** device_release_driver; with `stillBound`, only if it holds once the device lock is taken (returns whether it released). */
  async deviceReleaseDriver(dev: Device, stillBound?: () => boolean): Promise<boolean> {
    checkDevice(dev, 'deviceReleaseDriver');
    return this.kernel.calls.runAsync('device_release_driver', () =>
      dev.lock.runExclusive(async () => {
        if (stillBound && (!dev.bound || !stillBound())) return false;
        await this.releaseLocked(dev);
        return true;
      }, 'device_release_driver'),
    );
  }

  private releaseLocked(dev: Device): Promise<void> {
    return this.kernel.calls.runAsync(['device_release_driver_internal', 'device_remove'], () => this.release(dev));
  }

  private async release(dev: Device): Promise<void> {
    const drv = dev.driver;
    if (!drv) return;
    try {
      await drv.remove?.(dev);
    } catch (e) {
      // A driver that refuses (EBUSY: its device is in use) keeps the device bound and everything it holds.
      if (e instanceof KernelError && e.code === 'EBUSY') throw e;
      this.kernel.log.err('driver-core', `remove of ${dev.name} by ${drv.name} failed: ${asKernelError(e, 'EIO', 'remove').detail}`);
    }
    const failures = await this.kernel.calls.runAsync('devres_release_all', () => dev.devres.releaseAll());
    dev.driver = undefined;
    dev.drvdata = undefined;
    for (const f of failures) this.kernel.log.err('driver-core', `${dev.name}: ${f.detail}`);
    this.undefer(dev);
    this.kernel.lifecycle.fire('device:unbound', { device: dev.name, driver: drv.name });
  }

  /**
   * Release the device's driver only if `stillWanted` holds once the device
   * lock is taken (checked and acted on without an await in between).
   * Returns whether it was released.
   */
  deviceReleaseDriverIf(dev: Device, stillWanted: () => boolean): Promise<boolean> {
    return this.kernel.calls.runAsync('device_release_driver', () =>
      dev.lock.runExclusive(async () => {
        if (!dev.bound || !stillWanted()) return false;
        await this.releaseLocked(dev);
        return true;
      }, 'device_release_driver_if'),
    );
  }

  // ---- probing ----

  /** bus_probe_device for one device (e.g. after its driver was released for a reprobe). */
  async attachDevice(dev: Device): Promise<boolean> {
    checkDevice(dev, 'attachDevice');
    await this.kernel.calls.runAsync('device_attach', () => this.probeDevice(dev));
    return dev.bound;
  }

  /** bus_probe_device: try each matching driver until one binds. */
  private async probeDevice(dev: Device): Promise<void> {
    if (!dev.registered || dev.bound) return;
    for (const drv of [...this.drivers]) {
      if (!this.matches(drv, dev)) continue;
      const bound = await dev.lock.runExclusive(() => this.reallyProbe(dev, drv), 'bus_probe_device');
      if (bound || this.isDeferred(dev)) return;
    }
  }

  private reallyProbe(dev: Device, drv: Driver): Promise<boolean> {
    return this.kernel.calls.runAsync('really_probe', () => this.probeWith(dev, drv));
  }

  private async probeWith(dev: Device, drv: Driver): Promise<boolean> {
    if (dev.bound || !dev.registered) return false;
    const triggerAtStart = this.triggerCount;
    dev.driver = drv;
    try {
      await drv.probe(dev);
    } catch (e) {
      const err = asKernelError(e, 'EIO', `probe of ${dev.name}`);
      const failures = await dev.devres.releaseAll();
      for (const f of failures) this.kernel.log.err('driver-core', `${dev.name}: ${f.detail}`);
      dev.driver = undefined;
      dev.drvdata = undefined;
      if (err.code === 'EPROBE_DEFER') {
        dev.deferReason = err.detail;
        if (!this.isDeferred(dev)) this.pending.push(dev);
        this.kernel.log.debug('driver-core', `${dev.name}: deferred probe pending: ${err.detail}`);
        this.kernel.lifecycle.fire('device:deferred', { device: dev.name, driver: drv.name, reason: err.detail });
        if (this.triggerCount !== triggerAtStart) this.deferredProbeTrigger();
      } else if (err.code === 'ENODEV' || err.code === 'ENXIO') {
        this.kernel.log.debug('driver-core', `${drv.name}: ${dev.name}: probe declined: ${err.detail}`);
      } else {
        this.kernel.log.err(drv.name, `${dev.name}: probe with driver ${drv.name} failed with error -${err.errno}`);
        this.kernel.log.info(drv.name, `${dev.name}: ${err.detail}`);
        this.kernel.lifecycle.fire('device:probe-failed', { device: dev.name, driver: drv.name, errno: err.code, message: err.detail });
      }
      return false;
    }
    dev.deferReason = undefined;
    this.undefer(dev);
    this.kernel.lifecycle.fire('device:bound', { device: dev.name, driver: drv.name });
    this.deferredProbeTrigger();
    return true;
  }

  /** driver_deferred_probe_trigger: move every pending device to the active list and queue a retry pass. */
  deferredProbeTrigger(): void {
    if (!this.deferredProbeEnabled) return;
    this.triggerCount++;
    if (this.pending.length === 0 && this.active.length === 0) return;
    this.active.push(...this.pending);
    this.pending.length = 0;
    this.deferwq.queue(this.deferWork);
  }

  /** Off both deferred lists. */
  private undefer(dev: Device): void {
    for (let i = this.pending.indexOf(dev); i >= 0; i = this.pending.indexOf(dev)) this.pending.splice(i, 1);
    for (let i = this.active.indexOf(dev); i >= 0; i = this.active.indexOf(dev)) this.active.splice(i, 1);
  }

  private async deferredProbeWork(): Promise<void> {
    for (let dev = this.active.shift(); dev; dev = this.active.shift()) {
      this.getDevice(dev);
      try {
        await this.probeDevice(dev);
      } finally {
        this.putDevice(dev);
      }
    }
  }

  /** Wait until no deferred retry is queued or running. */
  async settle(): Promise<void> {
    await this.deferwq.flush();
  }
}

/** EINVAL unless `dev` is a platform device (a caller passing anything else gets an error, not a TypeError). */
function checkDevice(dev: unknown, op: string): void {
  if (!(dev instanceof Device)) throw kerr('EINVAL', `${op}: not a platform device, got ${describeValue(dev)}`);
}
