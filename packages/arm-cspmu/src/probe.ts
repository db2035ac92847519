// arm_cspmu_device_probe in the kernel's steps: map the pages, read the counter geometry, request the IRQ, init the backend's ops, register the PMU.
import { type Device, type Ida, type Kernel, kerr, type ModuleHandle, type ModuleLoader, moduleGetRefusal, type PlatformBus } from '@cspmu/kernel';
import type { MmioBus } from '@cspmu/mmio';
import type { PerfCore } from '@cspmu/perf';
import type { ApmtInfo, BackendOps } from './backend-api.js';
import type { CspmuDevice } from './cspmu-device.js';
import { mergeOps } from './default-ops.js';
import { associatedCpus, readPmiidr } from './device-identity.js';
import { detectExt64 } from './ext64.js';
import { ArmCspmu } from './instance.js';
import { mapPages, requestIrq } from './probe-steps.js';
import { type DriverProfile, pmuName } from './profile.js';
import type { ImplRegistry } from './registry.js';
import { APMT_FLAG_ATOMIC, PMCFGR, PMCR_C, PMCR_P } from './regs.js';
import { type BackendCallSites, callOp } from './sites.js';

const PROBE_FN = 'arm_cspmu_device_probe';

/** What probe needs from the driver it runs for. */
export interface ProbeHooks {
  /** The hotplug state instances join (set up at module init, after the driver exists). */
  cpuhpState(): number;
  /** The device is bound to `inst` (before `cspmu:bound` fires). */
  onBound(dev: Device, inst: ArmCspmu): void;
  /** The instance's last event reference was dropped while a reprobe is pending. */
  onIdle(inst: CspmuDevice): void | Promise<void>;
}

/**
 * The driver's probe: each acquisition is paired with its release right where
 * it is made (device-managed, or in a finally), and a backend module probe
 * found is held (counted in `probeRefs`) from its init until the PMU is
 * registered.
 */
export class DeviceProbe {
  constructor(
    private readonly kernel: Kernel,
    private readonly platformBus: PlatformBus,
    private readonly mmio: MmioBus,
    private readonly perf: PerfCore,
    private readonly modules: ModuleLoader,
    private readonly registry: ImplRegistry,
    private readonly profile: DriverProfile,
    private readonly defaults: Required<BackendOps>,
    private readonly nameIndexes: Map<string, Ida>,
    private readonly backendSites: BackendCallSites,
    /** Module references probes hold right now, by module (the driver's map). */
    private readonly probeRefs: Map<ModuleHandle, number>,
    private readonly hooks: ProbeHooks,
  ) {}

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
          (i) => this.hooks.onIdle(i),
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
    this.hooks.onBound(dev, inst);
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
    this.kernel.cpus.stateAddInstance(this.hooks.cpuhpState(), inst);
    if (inst.irq !== 0 && inst.activeCpu >= 0) this.kernel.irqs.setAffinity(inst.irq, inst.activeCpu);
    this.kernel.calls.run('arm_cspmu_register_pmu', () => inst.base0.writel(PMCR_C | PMCR_P, inst.pmcr), PROBE_FN);
    try {
      this.perf.register(inst, name);
    } catch (e) {
      this.kernel.cpus.stateRemoveInstance(this.hooks.cpuhpState(), inst);
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
        throw kerr('EINVAL', `${inst.device}: its backend's ${moduleGetRefusal(entry.module)}`);
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
}
