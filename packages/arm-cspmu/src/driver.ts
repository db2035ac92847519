// The arm-cs-arch-pmu platform driver: module init, remove, backend registration and the moves of devices it causes (probe is probe.ts's).
import {
  type Device,
  type Driver,
  type Ida,
  type Kernel,
  kerr,
  type ModuleHandle,
  type ModuleLoader,
  type OrderedWorkqueue,
  type PlatformBus,
} from '@cspmu/kernel';
import type { MmioBus } from '@cspmu/mmio';
import type { PerfCore } from '@cspmu/perf';
import type { BackendDefinition } from './backend-api.js';
import { defaultOps } from './default-ops.js';
import { cspmuCpuOnline, cspmuCpuTeardown } from './hotplug.js';
import type { ArmCspmu } from './instance.js';
import type { RegisteredBackend } from './registry.js';
import './lifecycle.js';
import type { ArmCspmuOptions, DeviceBinding } from './driver-options.js';
import { DeviceProbe } from './probe.js';
import { type DriverProfile, driverProfile } from './profile.js';
import { checkClaim, checkDefinition, ImplRegistry, type RegisterPolicy, type UnregisterPolicy } from './registry.js';
import { Reprobe } from './reprobe.js';
import { type BackendCallSites, defineBackendCallSites } from './sites.js';

export const DRIVER_NAME = 'arm-cs-arch-pmu';
const CPUHP_NAME = 'perf/arm/cspmu:online';

export type { ArmCspmuOptions, DeviceBinding } from './driver-options.js';

/**
 * The arm-cs-arch-pmu platform driver and the backend registration that
 * goes with it. Probe follows the kernel's steps; a backend registering
 * later attaches unbound and deferred devices and moves generic-bound ones,
 * at once when idle, otherwise once their last event is destroyed, from
 * queued work that first waits a grace period of the perf core.
 */
export class ArmCspmuDriver implements Driver {
  readonly name = DRIVER_NAME;
  readonly idTable = [DRIVER_NAME];
  readonly registry: ImplRegistry;
  readonly instances = new Map<Device, ArmCspmu>();
  private readonly deviceByInstance = new Map<ArmCspmu, Device>();
  /** Module references probes hold right now, by module (what a refcount check adds to the events' references). */
  readonly probeRefs = new Map<ModuleHandle, number>();
  private readonly reprobes: Reprobe;
  /** The queue pending reprobes run on. */
  get reprobeWq(): OrderedWorkqueue {
    return this.reprobes.wq;
  }
  private cpuhpState = -1;
  private readonly nameIndexes = new Map<string, Ida>();
  private readonly defaults;
  private readonly prober: DeviceProbe;
  readonly backendSites: BackendCallSites;
  readonly unregisterPolicy: UnregisterPolicy;
  readonly registerPolicy: RegisterPolicy;
  /** The upstream driver modelled (its kernelVersion: 7.3 tests each device for FEAT_CSPMU_EXT64 at probe, 6.12 knows nothing of it) and the proposals on. */
  readonly profile: DriverProfile;

  constructor(
    private readonly kernel: Kernel,
    private readonly platformBus: PlatformBus,
    mmio: MmioBus,
    private readonly perf: PerfCore,
    private readonly modules: ModuleLoader,
    readonly options: ArmCspmuOptions = {},
  ) {
    this.profile = driverProfile(options);
    this.registry = new ImplRegistry(kernel, modules);
    this.defaults = defaultOps(this.nameIndexes, this.profile);
    this.reprobes = new Reprobe({
      kernel,
      platformBus,
      registry: this.registry,
      perfFreeing: perf.freeing,
      deviceOf: (b) => this.deviceOf(b as ArmCspmu),
    });
    this.backendSites = defineBackendCallSites(kernel.callSites);
    this.prober = new DeviceProbe(
      kernel,
      platformBus,
      mmio,
      perf,
      modules,
      this.registry,
      this.profile,
      this.defaults,
      this.nameIndexes,
      this.backendSites,
      this.probeRefs,
      {
        cpuhpState: () => this.cpuhpState,
        onBound: (dev, inst) => {
          this.instances.set(dev, inst);
          this.deviceByInstance.set(inst, dev);
        },
        onIdle: (inst) => this.reprobes.onIdle(inst),
      },
    );
    this.unregisterPolicy = options.unregisterPolicy ?? 'fallback';
    this.registerPolicy = options.registerPolicy ?? 'reprobe-when-idle';
    if (!['fallback', 'stay-unbound'].includes(this.unregisterPolicy)) throw kerr('EINVAL', `unregisterPolicy must be 'fallback' or 'stay-unbound'`);
    if (!['reprobe-when-idle', 'reject-busy'].includes(this.registerPolicy))
      throw kerr('EINVAL', `registerPolicy must be 'reprobe-when-idle' or 'reject-busy'`);
  }

  /** Module init of arm_cspmu: the hotplug state, then the platform driver (which probes every device). */
  async start(): Promise<void> {
    this.cpuhpState = this.kernel.cpus.setupStateMulti<ArmCspmu>(
      CPUHP_NAME,
      (cpu, inst) => cspmuCpuOnline(this.kernel, cpu, inst),
      (cpu, inst) => cspmuCpuTeardown(this.kernel, this.perf, cpu, inst),
    );
    await this.platformBus.registerDriver(this);
  }

  async stop(): Promise<void> {
    await this.platformBus.unregisterDriver(this);
    await this.reprobes.wq.flush();
    this.kernel.cpus.removeStateMulti(this.cpuhpState);
  }

  instanceByName(pmu: string): ArmCspmu | undefined {
    return [...this.instances.values()].find((i) => i.name === pmu);
  }

  deviceOf(inst: ArmCspmu): Device | undefined {
    return this.deviceByInstance.get(inst);
  }

  // ------------------------------------------------------------ probe

  /** arm_cspmu_device_probe (probe.ts). */
  probe(dev: Device): Promise<void> {
    return this.prober.probe(dev);
  }

  // ------------------------------------------------------------ remove

  /** Refused with EBUSY while events are open on the PMU (nothing is released then). */
  async remove(dev: Device): Promise<void> {
    const inst = this.instances.get(dev);
    if (!inst) return;
    if (!inst.idle) throw kerr('EBUSY', `${inst.name} has ${inst.inUseCount} open event(s); close them before unbinding ${dev.name}`);
    await this.perf.unregister(inst);
    this.kernel.cpus.stateRemoveInstance(this.cpuhpState, inst);
    this.instances.delete(dev);
    this.deviceByInstance.delete(inst);
    inst.refs.decAndTest();
  }

  // ------------------------------------------------------------ backends

  /** arm_cspmu_impl_register, then attach: unbound and deferred devices now, generic-bound ones when idle. */
  async registerBackend(def: BackendDefinition, module: ModuleHandle | undefined): Promise<void> {
    const guard = this.registerPolicy === 'reject-busy' ? () => this.reprobes.refuseIfBusy(def, this.instances.values()) : undefined;
    const pkg = module?.packageName === undefined ? undefined : this.modules.installed().find((p) => p.packageName === module.packageName);
    checkDefinition(def);
    if (pkg) checkClaim(def, pkg);
    const entry = await this.registry.add(def, module, guard);
    this.kernel.lifecycle.fire('backend:registered', { backend: def.name, module: module?.name ?? 'built-in' });
    await this.platformBus.driverAttach(this);
    for (const inst of [...this.instances.values()]) {
      if (inst.impl === entry || !this.reprobes.wouldMove(def, inst)) continue;
      if (inst.idle) await this.reprobes.reprobe(inst, `backend ${def.name} registered`);
      else this.reprobes.markPending(inst, def.name);
    }
  }

  /** Why a backend cannot be unregistered now (a device it drives has open events), or undefined. */
  backendBusy(name: string): string | undefined {
    const busy = [...this.instances.values()].filter((i) => i.impl?.definition.name === name && !i.idle);
    if (busy.length === 0) return undefined;
    return `${busy.map((i) => `${i.name} has ${i.inUseCount} open event(s)`).join(', ')}; close them before unloading`;
  }

  /**
   * arm_cspmu_impl_unregister: release the devices the backend drives, then apply the policy. No grace period of its own:
   * each release unregisters that device's PMU, and perf_pmu_unregister already waits one before the instance goes.
   */
  unregisterBackend(name: string): Promise<void> {
    return this.kernel.calls.runAsync('arm_cspmu_impl_unregister', () => this.unregisterBackendSteps(name));
  }

  private async unregisterBackendSteps(name: string): Promise<void> {
    // Injected `lock-inversion`: release the devices with arm_cspmu_lock held, the reverse of probe's device-then-registry order.
    const inverted = this.kernel.inject.has('lock-inversion');
    let devices: Device[] = [];
    const entry = await this.registry.remove(name, inverted ? async (e) => void (devices = await this.releaseDevicesOf(e)) : undefined);
    this.kernel.lifecycle.fire('backend:unregistered', { backend: name, module: entry.module?.name ?? 'built-in' });
    if (!inverted) devices = await this.releaseDevicesOf(entry);
    if (this.unregisterPolicy === 'fallback') for (const dev of devices) await this.platformBus.attachDevice(dev);
  }

  /** device_release_driver on every device a backend drives; returns them. */
  private async releaseDevicesOf(entry: RegisteredBackend): Promise<Device[]> {
    // Pushed, not map()ped: V8 11.3's map() result changes hidden class once this is optimised, deoptimising the loop below.
    const devices: Device[] = [];
    for (const [d, i] of this.instances) if (i.impl === entry) devices.push(d);
    const released: Device[] = [];
    for (const dev of devices) {
      const found = this.platformBus.findDevice(this, (d) => d === dev);
      // Only while the backend still drives it: meanwhile it may have been reprobed into another backend.
      if (
        found &&
        (await this.platformBus.deviceReleaseDriver(found, () => this.instances.get(found)?.impl === entry).finally(() => this.platformBus.putDevice(found)))
      )
        released.push(dev);
    }
    return released;
  }

  /** Wait for queued reprobes. */
  async settle(): Promise<void> {
    await this.reprobes.wq.flush();
    await this.platformBus.settle();
  }

  /** Every bound device with its PMU and backend, in the bus's device order (stable across reprobes). */
  bindings(): DeviceBinding[] {
    // One loop pushing, not flatMap() then map(): V8 11.3's map() result changes hidden class once this is optimised.
    const out: DeviceBinding[] = [];
    for (const d of this.platformBus.allDevices()) {
      const i = this.instances.get(d);
      if (!i) continue;
      out.push({
        device: d.name,
        pmu: i.name,
        backend: i.backendName,
        module: i.impl?.module?.name,
        events: i.inUseCount,
        reprobePending: i.reprobePending,
      });
    }
    return out;
  }
}
