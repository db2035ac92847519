import { Ida, IRQ_NONE, kerr, type Device, type Driver, type Kernel, type ModuleHandle, type ModuleLoader, type OrderedWorkqueue, type PlatformBus } from '@cspmu/kernel';
import type { IoMem, MmioBus } from '@cspmu/mmio';
import type { PerfCore } from '@cspmu/perf';
import type { ApmtInfo, BackendDefinition } from './backend-api.js';
import { matchToPmiidr } from './backend-api.js';
import { defaultOps, mergeOps } from './default-ops.js';
import { ArmCspmu, internDriverFns, type DriverFns } from './instance.js';
import './lifecycle.js';
import { ImplRegistry, type RegisterPolicy, type UnregisterPolicy } from './registry.js';
import { BackendCallSites } from './sites.js';
import { APMT_FLAG_AFFINITY_CONTAINER, APMT_FLAG_ATOMIC, PMCFGR, PMCR, PMCR_C, PMCR_P, PMIIDR, PMPIDR0, PMPIDR1, PMPIDR2, PMPIDR3, PMPIDR4 } from './regs.js';

export const DRIVER_NAME = 'arm-cs-arch-pmu';
const CPUHP_NAME = 'perf/arm/cspmu:online';
const PROBE_FN = 'arm_cspmu_device_probe';

export interface ArmCspmuOptions {
  /** After a backend unregisters: bind its devices to the generic fallback (default) or leave them unbound as upstream. */
  readonly unregisterPolicy?: UnregisterPolicy;
  /** When a backend registers while generic-bound matching devices have events: reprobe each once idle (default) or refuse with EBUSY (the v2 patch). */
  readonly registerPolicy?: RegisterPolicy;
}

export interface UseAfterFree {
  readonly device: string;
  readonly what: string;
  readonly callers: readonly string[];
}

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
  readonly useAfterFree: UseAfterFree[] = [];
  readonly reprobeWq: OrderedWorkqueue;
  private cpuhpState = -1;
  private readonly nameIndexes = new Map<string, Ida>();
  private readonly fns: DriverFns;
  private readonly defaults;
  readonly backendSites: BackendCallSites;
  readonly unregisterPolicy: UnregisterPolicy;
  readonly registerPolicy: RegisterPolicy;

  constructor(
    private readonly kernel: Kernel,
    private readonly platformBus: PlatformBus,
    private readonly mmio: MmioBus,
    private readonly perf: PerfCore,
    private readonly modules: ModuleLoader,
    private readonly options: ArmCspmuOptions = {},
  ) {
    this.registry = new ImplRegistry(kernel, modules);
    this.fns = internDriverFns(kernel);
    this.defaults = defaultOps(this.nameIndexes);
    this.reprobeWq = kernel.workqueue('arm_cspmu_reprobe');
    this.backendSites = new BackendCallSites(kernel.callSites);
    this.unregisterPolicy = options.unregisterPolicy ?? 'fallback';
    this.registerPolicy = options.registerPolicy ?? 'reprobe-when-idle';
    if (!['fallback', 'stay-unbound'].includes(this.unregisterPolicy)) throw kerr('EINVAL', `unregisterPolicy must be 'fallback' or 'stay-unbound'`);
    if (!['reprobe-when-idle', 'reject-busy'].includes(this.registerPolicy)) throw kerr('EINVAL', `registerPolicy must be 'reprobe-when-idle' or 'reject-busy'`);
  }

  /** Module init of arm_cspmu: the hotplug state, then the platform driver (which probes every device). */
  async start(): Promise<void> {
    this.cpuhpState = this.kernel.cpus.setupStateMulti<ArmCspmu>(CPUHP_NAME, (cpu, inst) => this.cpuOnline(cpu, inst), (cpu, inst) => this.cpuTeardown(cpu, inst));
    await this.platformBus.registerDriver(this);
  }

  async stop(): Promise<void> {
    await this.platformBus.unregisterDriver(this);
    await this.reprobeWq.flush();
    this.kernel.cpus.removeStateMulti(this.cpuhpState);
  }

  instanceByName(pmu: string): ArmCspmu | undefined {
    return [...this.instances.values()].find((i) => i.name === pmu);
  }

  deviceOf(inst: ArmCspmu): Device | undefined {
    return this.deviceByInstance.get(inst);
  }

  // ------------------------------------------------------------ probe

  async probe(dev: Device): Promise<void> {
    const node = dev.platformData as ApmtInfo | undefined;
    const r0 = dev.mem(0);
    if (!r0) {
      this.kernel.log.err('arm_cspmu', `${dev.name}: ioremap failed for page-0 resource`);
      throw kerr('EINVAL', `${dev.name} has no page-0 MEM resource`);
    }
    const map = (r: { start: number; end: number }, page: number): IoMem => {
      try {
        const io = this.mmio.ioremap(r.start, r.end - r.start + 1, dev.name);
        dev.devres.add(`ioremap page ${page}`, () => this.mmio.iounmap(io));
        return io;
      } catch (e) {
        this.kernel.log.err('arm_cspmu', `${dev.name}: ioremap failed for page-${page} resource`);
        throw e;
      }
    };
    const base0 = map(r0, 0);
    const r1 = dev.mem(1);
    const base1 = r1 ? map(r1, 1) : base0;
    const pmcfgr = this.kernel.calls.run('arm_cspmu_init_mmio', () => base0.readl(PMCFGR), PROBE_FN);

    let inst: ArmCspmu | undefined;
    // platform_get_irq_optional: no IRQ (ENXIO) is fine.
    const irq = dev.irq(0) ?? 0;
    if (irq !== 0) {
      try {
        this.kernel.irqs.request(irq, () => (inst ? inst.handleIrq() : IRQ_NONE), dev.name);
      } catch (e) {
        this.kernel.log.err('arm_cspmu', `${dev.name}: Could not request IRQ ${irq}`);
        throw e;
      }
      dev.devres.add(`irq ${irq}`, () => this.kernel.irqs.free(irq));
    }

    const associatedCpus = this.associatedCpus(node);
    if (associatedCpus.length === 0) throw kerr('ENODEV', `${dev.name}: no CPU matches its APMT affinity ${node?.procAffinity}`);
    const created = new ArmCspmu(
      this.kernel,
      {
        device: dev.name,
        apmt: node,
        base0,
        base1,
        hasAtomicDword: node !== undefined && (node.flags & APMT_FLAG_ATOMIC) !== 0,
        pmcfgr,
        irq,
        associatedCpus,
        socket: this.kernel.cpus.nodeOf(associatedCpus[0]!),
      },
      this.fns,
      (device, what) => this.reportUaf(device, what),
      (i) => this.onIdle(i),
      (base) => this.uniqueName(base),
      this.backendSites,
    );
    dev.devres.add('arm_cspmu instance', () => created.poison());

    await this.initImplOps(created);
    try {
      const name = this.backendSites.getName(created);
      const identifier = this.backendSites.getIdentifier(created);
      if (!name || !identifier) {
        if (node && node.type > 4) this.kernel.log.err('arm_cspmu', `${dev.name}: unsupported PMU type-${node.type}`);
        throw kerr('ENOMEM', `${dev.name}: no PMU name or identifier (unsupported APMT node type?)`);
      }
      created.name = name;
      created.identifier = identifier;
      created.buildAttrGroups();
      this.kernel.cpus.stateAddInstance(this.cpuhpState, created);
      if (irq !== 0 && created.activeCpu >= 0) this.kernel.irqs.setAffinity(irq, created.activeCpu);
      this.kernel.calls.run('arm_cspmu_register_pmu', () => base0.writel(PMCR_C | PMCR_P, PMCR), PROBE_FN);
      try {
        this.perf.register(created, name);
      } catch (e) {
        this.kernel.cpus.stateRemoveInstance(this.cpuhpState, created);
        throw e;
      }
    } finally {
      if (created.impl?.module) this.modules.modulePut(created.impl.module);
    }
    inst = created;
    dev.drvdata = inst;
    this.instances.set(dev, inst);
    this.deviceByInstance.set(inst, dev);
    this.kernel.lifecycle.fire('cspmu:bound', {
      device: dev.name,
      pmu: inst.name,
      backend: inst.impl?.definition.name ?? 'arm_cspmu (generic)',
      pmiidr: `0x${inst.pmiidr.toString(16)}`,
    });
  }

  /** PMIIDR, or the PMPIDR reconstruction when it reads 0; the APMT impl_id overrides both. */
  private readPmiidr(inst: ArmCspmu): number {
    const b = inst.base0;
    let v = b.readl(PMIIDR);
    if (v === 0) {
      const p0 = b.readl(PMPIDR0);
      const p1 = b.readl(PMPIDR1);
      const p2 = b.readl(PMPIDR2);
      const p3 = b.readl(PMPIDR3);
      const p4 = b.readl(PMPIDR4);
      const product = (p0 & 0xff) | ((p1 & 0xf) << 8);
      const implementer = ((p1 >> 4) & 0xf) | ((p2 & 0x7) << 4) | ((p4 & 0xf) << 8);
      v = ((product << 20) | (((p2 >> 4) & 0xf) << 16) | (((p3 >> 4) & 0xf) << 12) | implementer) >>> 0;
    }
    if (inst.apmt && inst.apmt.implId !== 0) v = inst.apmt.implId >>> 0;
    return v >>> 0;
  }

  private async initImplOps(inst: ArmCspmu): Promise<void> {
    inst.pmiidr = this.kernel.calls.run('arm_cspmu_init_impl_ops', () => this.readPmiidr(inst), PROBE_FN);
    inst.ops = this.defaults;
    const decision = await this.registry.mutex.runExclusive(() => {
      const r = this.registry.lookupLocked(inst.pmiidr);
      if (r.kind !== 'backend') return r;
      const entry = r.entry;
      if (!this.modules.tryModuleGet(entry.module)) {
        this.kernel.log.warn('arm_cspmu', `WARNING: arm_cspmu failed to get module: ${entry.module?.name}`);
        throw kerr('EINVAL', `${inst.device}: backend module ${entry.module?.name} is going away`);
      }
      inst.impl = entry;
      try {
        inst.ops = mergeOps(this.defaults, entry.definition.init(inst) ?? {});
      } catch (e) {
        this.modules.modulePut(entry.module);
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
  }

  private associatedCpus(node: ApmtInfo | undefined): number[] {
    const cpus = this.kernel.cpus;
    if (!node) return cpus.possible();
    if (node.flags & APMT_FLAG_AFFINITY_CONTAINER) return cpus.possible().filter((c) => cpus.containerUidOf(c) === node.procAffinity);
    const one = cpus.possible().find((c) => cpus.acpiUidOf(c) === node.procAffinity);
    return one === undefined ? [] : [one];
  }

  private uniqueName(base: string): string {
    const taken = (n: string) => this.perf.pmuByName(n) !== undefined;
    if (!taken(base)) return base;
    for (let k = 1; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
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

  // ------------------------------------------------------------ hotplug

  private cpuOnline(cpu: number, inst: ArmCspmu): void {
    if (!inst.associatedCpus.includes(cpu) || inst.activeCpu >= 0) return;
    inst.activeCpu = cpu;
    if (inst.irq !== 0 && inst.type >= 0) this.kernel.irqs.setAffinity(inst.irq, cpu);
  }

  private cpuTeardown(cpu: number, inst: ArmCspmu): void {
    if (inst.activeCpu !== cpu) return;
    const dst = inst.associatedCpus.find((c) => c !== cpu && this.kernel.cpus.isOnline(c));
    inst.activeCpu = -1;
    if (dst === undefined) return;
    if (inst.type >= 0 && this.perf.pmuByName(inst.name) === inst) this.perf.migrateContext(inst, cpu, dst);
    inst.activeCpu = dst;
    if (inst.irq !== 0) this.kernel.irqs.setAffinity(inst.irq, dst);
  }

  // ------------------------------------------------------------ backends

  /** arm_cspmu_impl_register, then attach: unbound and deferred devices now, generic-bound ones when idle. */
  async registerBackend(def: BackendDefinition, module: ModuleHandle | undefined): Promise<void> {
    const guard =
      this.registerPolicy === 'reject-busy'
        ? () => {
            const busy = [...this.instances.values()].filter((i) => this.wouldMove(def, i) && !i.idle);
            if (busy.length) {
              throw kerr('EBUSY', `arm_cspmu reg failed, device(s) is in use: ${busy.map((i) => `${i.name} (${i.inUseCount} event(s))`).join(', ')}; close their events and load again`);
            }
          }
        : undefined;
    const entry = await this.registry.add(def, module, guard);
    this.kernel.lifecycle.fire('backend:registered', { backend: def.name, module: module?.name ?? 'built-in' });
    await this.platformBus.driverAttach(this);
    for (const inst of [...this.instances.values()]) {
      if (inst.impl === entry || !this.wouldMove(def, inst)) continue;
      if (inst.idle) await this.reprobe(inst, `backend ${def.name} registered`);
      else this.markPending(inst, def.name);
    }
  }

  /** arm_cspmu_impl_unregister: release the devices the backend drives, wait a grace period, then apply the policy. */
  async unregisterBackend(name: string): Promise<void> {
    const entry = await this.registry.remove(name);
    this.kernel.lifecycle.fire('backend:unregistered', { backend: name, module: entry.module?.name ?? 'built-in' });
    const devices = [...this.instances].filter(([, i]) => i.impl === entry).map(([d]) => d);
    for (const dev of devices) {
      const found = this.platformBus.findDevice(this, (d) => d === dev);
      if (!found) continue;
      try {
        await this.platformBus.deviceReleaseDriver(found);
      } finally {
        this.platformBus.putDevice(found);
      }
    }
    await this.perf.srcu.synchronize();
    if (this.unregisterPolicy === 'fallback') for (const dev of devices) await this.platformBus.attachDevice(dev);
  }

  /** Would a device bound as `inst` move to `def`? Only generic-bound devices move, and only to a better match. */
  private wouldMove(def: BackendDefinition, inst: ArmCspmu): boolean {
    const generic = inst.impl === undefined || inst.impl.definition.match === 'fallback';
    if (!generic) return false;
    if (def.match === 'fallback') return inst.impl === undefined && this.registry.vendorFor(inst.pmiidr) === undefined;
    const { val, mask } = matchToPmiidr(def.match);
    return ((inst.pmiidr >>> 0) & mask) === val;
  }

  private markPending(inst: ArmCspmu, backend: string): void {
    if (inst.reprobePending) return;
    inst.reprobePending = true;
    this.kernel.lifecycle.fire('cspmu:reprobe-pending', { device: inst.device, events: inst.inUseCount, backend });
  }

  /** The last event of an instance was destroyed: queue its pending reprobe, after a grace period. */
  private onIdle(inst: ArmCspmu): void {
    if (!inst.reprobePending) return;
    if (this.kernel.inject.has('reprobe-in-destroy')) inst.poison();
    this.reprobeWq.queue({
      name: `arm_cspmu reprobe ${inst.device}`,
      fn: async () => {
        await this.perf.srcu.synchronize();
        await this.reprobe(inst, 'pending reprobe after the last event was destroyed');
      },
    });
  }

  /** Release and probe again, if the instance is still bound and idle once the device lock is held. */
  private async reprobe(inst: ArmCspmu, reason: string): Promise<void> {
    const dev = this.deviceOf(inst);
    if (!dev) return;
    const released = await this.platformBus.deviceReleaseDriverIf(dev, () => dev.drvdata === inst && inst.idle);
    if (!released) {
      if (dev.drvdata === inst && !inst.idle) this.markPending(inst, 'a newer backend');
      return;
    }
    this.kernel.lifecycle.fire('cspmu:reprobe', { device: dev.name, reason });
    await this.platformBus.attachDevice(dev);
  }

  /** Wait for queued reprobes. */
  async settle(): Promise<void> {
    await this.reprobeWq.flush();
    await this.platformBus.settle();
  }

  private reportUaf(device: string, what: string): void {
    const callers = this.kernel.calls.names();
    this.useAfterFree.push({ device, what, callers });
    this.kernel.log.err('arm_cspmu', `BUG: use-after-free of ${device}: ${what}${callers.length ? ` in ${callers.join(' <- ')}` : ''}`);
    this.kernel.lifecycle.fire('cspmu:use-after-free', { device, what });
  }

  /** Every backend in use by some instance, for tools. */
  bindings(): { device: string; pmu: string; backend: string; module: string | undefined; events: number; reprobePending: boolean }[] {
    return [...this.instances].map(([d, i]) => ({
      device: d.name,
      pmu: i.name,
      backend: i.impl?.definition.name ?? 'arm_cspmu (generic)',
      module: i.impl?.module?.name,
      events: i.inUseCount,
      reprobePending: i.reprobePending,
    }));
  }
}

