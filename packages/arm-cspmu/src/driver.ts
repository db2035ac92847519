// The arm-cs-arch-pmu platform driver: probe and remove in the kernel's steps, backend registration and the moves of devices it causes.
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
import type { ApmtInfo, BackendDefinition } from './backend-api.js';
import { defaultOps, mergeOps } from './default-ops.js';
import { associatedCpus, readPmiidr } from './device-identity.js';
import { detectExt64 } from './ext64.js';
import { cspmuCpuOnline, cspmuCpuTeardown } from './hotplug.js';
import { ArmCspmu } from './instance.js';
import type { RegisteredBackend } from './registry.js';
import './lifecycle.js';
import type { ArmCspmuOptions, DeviceBinding } from './driver-options.js';
import { mapPages, requestIrq } from './probe-steps.js';
import { type DriverProfile, driverProfile, pmuName } from './profile.js';
import { checkClaim, checkDefinition, ImplRegistry, type RegisterPolicy, type UnregisterPolicy } from './registry.js';
import { APMT_FLAG_ATOMIC, PMCFGR, PMCR_C, PMCR_P } from './regs.js';
import { Reprobe } from './reprobe.js';
import { type BackendCallSites, callOp, defineBackendCallSites } from './sites.js';

export const DRIVER_NAME = 'arm-cs-arch-pmu';
const CPUHP_NAME = 'perf/arm/cspmu:online';
const PROBE_FN = 'arm_cspmu_device_probe';

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
  readonly backendSites: BackendCallSites;
  readonly unregisterPolicy: UnregisterPolicy;
  readonly registerPolicy: RegisterPolicy;
  /** The upstream driver modelled (its kernelVersion: 7.3 tests each device for FEAT_CSPMU_EXT64 at probe, 6.12 knows nothing of it) and the proposals on. */
  readonly profile: DriverProfile;

  constructor(
    private readonly kernel: Kernel,
    private readonly platformBus: PlatformBus,
    private readonly mmio: MmioBus,
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

  /**
   * arm_cspmu_device_probe, in the kernel's steps: map the pages, read the
   * counter geometry, request the IRQ, find the associated CPUs, init the
   * backend's ops, register the PMU. Each acquisition is paired with its
   * release right where it is made (device-managed, or in a finally).
   */
  probe(dev: Device): Promise<void> {
    return this.kernel.calls.runAsync(PROBE_FN, () => this.probeSteps(dev));
  }

  private async probeSteps(dev: Device): Promise<void> {
    const node = dev.platformData as ApmtInfo | undefined;
    // devm_kzalloc is the probe's first allocation, so the instance is released last: after the IRQ (which waits for its thread) and the mappings.
    let inst: ArmCspmu | undefined;
    dev.devres.add('arm_cspmu instance', () => inst && this.kernel.calls.run('kfree', () => inst!.free(), 'devm_kfree'));
    const { base0, base1 } = mapPages(dev, this.mmio, this.kernel);
    const ext64 = this.profile.ext64Probe && this.kernel.calls.run('arm_cspmu_init_mmio', () => detectExt64(base0), PROBE_FN);
    const pmcfgr = this.kernel.calls.run('arm_cspmu_init_mmio', () => base0.readl(PMCFGR), PROBE_FN);
    let bound: ArmCspmu | undefined;
    const irq = requestIrq(dev, this.kernel.irqs, this.kernel.log, () => bound);
    const cpus = associatedCpus(this.kernel.cpus, node);
    if (cpus.length === 0) throw kerr('ENODEV', `${dev.name}: no CPU matches its APMT affinity ${node?.procAffinity}`);
    inst = this.kernel.calls.run(
      'devm_kzalloc',
      () =>
        new ArmCspmu(
          this.kernel,
          {
            device: dev.name,
            apmt: node,
            base0,
            base1,
            hasAtomicDword: node !== undefined && (node.flags & APMT_FLAG_ATOMIC) !== 0,
            pmcfgr,
            ext64,
            irq,
            associatedCpus: cpus,
            socket: this.kernel.cpus.nodeOf(cpus[0]!),
            profile: this.profile,
          },
          (i) => this.reprobes.onIdle(i),
          (base) => this.uniqueName(base),
          this.nameIndexes,
          this.backendSites,
        ),
      'arm_cspmu_alloc',
    );
    const backendModule = await this.initImplOps(inst);
    try {
      this.registerPmu(dev, inst);
    } finally {
      if (backendModule) this.putProbeRef(backendModule);
    }
    bound = inst;
    dev.drvdata = inst;
    this.instances.set(dev, inst);
    this.deviceByInstance.set(inst, dev);
    this.kernel.lifecycle.fire('cspmu:bound', {
      device: dev.name,
      pmu: inst.name,
      backend: inst.backendName,
      pmiidr: `0x${inst.pmiidr.toString(16)}`,
    });
  }

  /** Name the PMU, build its sysfs groups, join the hotplug state, reset the counters and register with perf. */
  private registerPmu(dev: Device, inst: ArmCspmu): void {
    const node = inst.apmt;
    const name = callOp(this.backendSites, 'getName', inst);
    const identifier = callOp(this.backendSites, 'getIdentifier', inst);
    if (!name || !identifier) {
      if (node && node.type > 4) this.kernel.log.err('arm_cspmu', `${dev.name}: unsupported PMU type-${node.type}`);
      throw kerr('ENOMEM', `${dev.name}: no PMU name or identifier (unsupported APMT node type?)`);
    }
    inst.name = name;
    inst.identifier = identifier;
    inst.buildAttrGroups();
    this.kernel.cpus.stateAddInstance(this.cpuhpState, inst);
    if (inst.irq !== 0 && inst.activeCpu >= 0) this.kernel.irqs.setAffinity(inst.irq, inst.activeCpu);
    this.kernel.calls.run('arm_cspmu_register_pmu', () => inst.base0.writel(PMCR_C | PMCR_P, inst.pmcr), PROBE_FN);
    try {
      this.perf.register(inst, name);
    } catch (e) {
      this.kernel.cpus.stateRemoveInstance(this.cpuhpState, inst);
      throw e;
    }
  }

  /**
   * Find the backend for the device's PMIIDR under the registry mutex and run
   * its init. Returns the backend's module with a reference held (the caller
   * drops it once the PMU is registered), or requests the module and defers.
   */
  private async initImplOps(inst: ArmCspmu): Promise<ModuleHandle | undefined> {
    inst.pmiidr = this.kernel.calls.run('arm_cspmu_init_impl_ops', () => readPmiidr(inst.base0, inst.apmt, this.profile.pmpidrFallback), PROBE_FN);
    inst.ops = this.defaults;
    const decision = await this.registry.mutex.runExclusive(() => {
      const r = this.registry.lookupLocked(inst.pmiidr);
      if (r.kind !== 'backend') return r;
      const entry = r.entry;
      if (!this.getProbeRef(entry.module)) {
        this.kernel.log.warn('arm_cspmu', `WARNING: arm_cspmu failed to get module: ${entry.module?.name}`);
        throw kerr('EINVAL', `${inst.device}: backend module ${entry.module?.name} is going away`);
      }
      inst.impl = entry;
      try {
        inst.ops = mergeOps(this.defaults, entry.definition.init(inst) ?? {});
      } catch (e) {
        this.putProbeRef(entry.module);
        inst.impl = undefined;
        throw e;
      }
      return r;
    }, 'arm_cspmu_init_impl_ops');
    if (decision.kind === 'request') {
      this.kernel.lifecycle.fire('cspmu:backend-requested', { device: inst.device, module: decision.module });
      this.registry.request(decision.module, decision.packageName, () => this.platformBus.deferredProbeTrigger());
      throw kerr('EPROBE_DEFER', `waiting for backend module ${decision.module} (${decision.packageName}) for pmiidr 0x${inst.pmiidr.toString(16)}`);
    }
    return inst.impl?.module;
  }

  /** The backend module reference a probe holds from before the backend's init until its PMU is registered. */
  private getProbeRef(m: ModuleHandle | undefined): boolean {
    if (!this.modules.tryModuleGet(m)) return false;
    if (m) this.probeRefs.set(m, (this.probeRefs.get(m) ?? 0) + 1);
    return true;
  }

  private putProbeRef(m: ModuleHandle | undefined): void {
    if (m) this.probeRefs.set(m, this.probeRefs.get(m)! - 1);
    this.modules.modulePut(m);
  }

  private uniqueName(base: string): string {
    return pmuName(this.profile, base, (n) => this.perf.pmuByName(n) !== undefined);
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
    const devices = [...this.instances].filter(([, i]) => i.impl === entry).map(([d]) => d);
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
    const bound = this.platformBus.allDevices().flatMap((d) => {
      const i = this.instances.get(d);
      return i ? [[d, i] as const] : [];
    });
    return bound.map(([d, i]) => ({
      device: d.name,
      pmu: i.name,
      backend: i.backendName,
      module: i.impl?.module?.name,
      events: i.inUseCount,
      reprobePending: i.reprobePending,
    }));
  }
}
