// The Machine facade: boot a kernel, hardware, perf core and arm_cspmu driver from a platform, and open, advance, load, unload, settle, close.
import { type ApmtInfo, ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE } from '@cspmu/arm-cspmu';
import { ARM_CSPMU_TOKENS, ArmCspmuDriver, type ArmCspmuOptions, type DriverProfile, driverProfile } from '@cspmu/arm-cspmu/driver';

/** The proposals a machine can turn on, for tools that take them from users. */
export { PROPOSALS, type Proposal, parseProposals } from '@cspmu/arm-cspmu/driver';

import {
  type ApmtTable,
  apmtForBoot,
  apmtNodesOf,
  buildApmt,
  builtinPlatform,
  Hardware,
  loadPlatform,
  loadWorkload,
  type Platform,
  type PlatformSpec,
  type WorkloadSpec,
} from '@cspmu/hw';
import {
  createKernelContainer,
  type Device,
  describeValue,
  type InjectedHazard,
  type Kernel,
  type KernelVersion,
  kerr,
  type ManualClock,
  type ModuleHandle,
  type ModuleLoader,
  type PlatformBus,
  releaseKernelContainer,
  TOKENS,
} from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { PerfCore, type PerfEvent } from '@cspmu/perf';
import { type EventGrammar, eventScaleUnit, grammarOf, openEventList, type ParsedEvent, parseEventList } from '@cspmu/perf-tool';
import { PluginDiscovery } from '@cspmu/plugin-discovery';
import type { Container } from 'inversify';
import { createApmtDevices } from './apmt-devices.js';
import { closeEvents, type DeviceBinding, type WhenBoundOptions, whenBound } from './bindings.js';
import { blacklistedModules } from './blacklist.js';
import { checkBootOptions } from './boot-options.js';
import { workspaceRoot } from './workspace.js';

export interface MachineOptions extends ArmCspmuOptions {
  /** A built-in platform name (default `grace`), a platform description, or a loaded platform. */
  readonly platform?: string | PlatformSpec;
  /** Override the platform's workload: a built-in name or a description. */
  readonly workload?: string | WorkloadSpec;
  /** 'manual' (default): virtual time that moves only when told; 'real': host time. */
  readonly clock?: 'manual' | 'real';
  /** Firmware's APMT as bytes; default: built from the platform. */
  readonly apmt?: Uint8Array;
  /** The cap on PMU devices in the platform and nodes read from the APMT (default 4096; EINVAL past it). */
  readonly maxPmus?: number;
  /** Plugin packages or module names to load at boot (modprobe). */
  readonly plugins?: readonly string[];
  /**
   * Installed modules (module or package names) the driver never requests
   * automatically, as `modprobe.blacklist=`: their devices take the generic
   * or fallback backend until the module is loaded by hand.
   */
  readonly blacklist?: readonly string[];
  /** Plugin packages that count as installed; default: every plugin in the module roots. */
  readonly installed?: readonly string[];
  /** Where plugins are installed (default: the workspace root). */
  readonly moduleRoots?: readonly string[];
  /** Host milliseconds a plugin's init, exit or one cleanup may take before ETIMEDOUT (default 10 s). */
  readonly moduleTimeoutMs?: number;
  readonly traceCapacity?: number;
  /** perf_event_paranoid (default 2). */
  readonly paranoid?: number;
  /** Known bugs to boot with, to see the checks catch them (EINVAL for an unknown name). */
  readonly inject?: readonly InjectedHazard[];
  /** The KASAN-style lifetime checker (default on; off, a use after free goes unreported, as without CONFIG_KASAN). */
  readonly kasan?: boolean;
  /** Called once devices exist and before the core driver loads: start tracers that must see the probes. */
  readonly beforeDrivers?: (m: Machine) => void | Promise<void>;
}

export { PLATFORM_DRIVER_DEVICE } from './apmt-devices.js';

/**
 * One emulated machine: a kernel with its own container, the platform's
 * device models on the MMIO bus, platform devices created from the APMT as
 * firmware publishes it, the perf core, the arm_cspmu driver and whatever
 * plugins were loaded. Examples, the CLI and tests start here.
 */
export class Machine {
  private constructor(
    readonly kernel: Kernel,
    readonly container: Container,
    readonly platform: Platform,
    readonly hardware: Hardware,
    readonly mmio: MmioBus,
    readonly perf: PerfCore,
    readonly driver: ArmCspmuDriver,
    readonly modules: ModuleLoader,
    readonly bus: PlatformBus,
    readonly apmt: ApmtTable,
    /** The upstream driver this machine behaves as, and the proposals turned on. */
    readonly profile: DriverProfile,
  ) {}

  get kernelVersion(): KernelVersion {
    return this.profile.kernelVersion;
  }

  /** One line naming the driver version in force and the proposals turned on, for tools to print. */
  describeModel(): string {
    const release = this.profile.kernelVersion === '7.3' ? '7.3.4' : '6.12.95';
    const proposals = [...this.profile.proposed];
    return `kernel model: Linux ${this.profile.kernelVersion} (arm_cspmu, nvidia_cspmu, ampere_cspmu and apmt.c as in ${release}); proposals beyond upstream: ${proposals.length ? proposals.join(', ') : 'none'}`;
  }

  /** The platform device created for an APMT node id (its name depends on the kernel version), if any. */
  deviceOfNode(id: number): Device | undefined {
    return this.bus.allDevices().find((d) => (d.platformData as ApmtInfo | undefined)?.id === id);
  }

  static async boot(given: MachineOptions = {}): Promise<Machine> {
    const options = checkBootOptions(given);
    const spec = typeof options.platform === 'string' || options.platform === undefined ? builtinPlatform(options.platform ?? 'grace') : options.platform;
    const cap = { maxPmus: options.maxPmus };
    const platform = loadPlatform(spec, cap);
    const profile = driverProfile({ kernelVersion: options.kernelVersion ?? platform.kernelVersion, proposed: options.proposed });
    const workload = loadWorkload(options.workload ?? platform.workload);
    const installed = options.installed ? new Set(options.installed) : undefined;
    const container = createKernelContainer({
      topology: platform.topology,
      clock: options.clock ?? 'manual',
      plugins: new PluginDiscovery({ roots: options.moduleRoots ?? [workspaceRoot()], ...(installed ? { installed: (p: string) => installed.has(p) } : {}) }),
      ...(options.moduleTimeoutMs !== undefined ? { moduleTimeoutMs: options.moduleTimeoutMs } : {}),
      ...(options.inject ? { inject: options.inject } : {}),
      ...(options.kasan !== undefined ? { kasan: options.kasan } : {}),
      ...(options.traceCapacity ? { traceCapacity: options.traceCapacity } : {}),
    });
    const kernel = container.get<Kernel>(TOKENS.Kernel);
    const modules = container.get<ModuleLoader>(TOKENS.Modules);
    const bus = container.get<PlatformBus>(TOKENS.PlatformBus);
    const mmio = new MmioBus(kernel);
    const hardware = new Hardware(platform, workload, { clock: kernel.clock, irqs: kernel.irqs, map: mmio.map });
    const { table: apmt, log: apmtLog } = apmtForBoot(options.apmt ?? buildApmt(apmtNodesOf(platform)), cap);
    for (const line of apmtLog) kernel.log.warn('ACPI', line);
    const perf = new PerfCore(kernel, modules);
    // The sysctl's own check: an int, or EINVAL.
    if (options.paranoid !== undefined) perf.paranoid = options.paranoid;
    // The driver's own options only: the boot options hold the platform description, which the driver must not keep alive.
    const driverOptions: ArmCspmuOptions = {
      ...(options.unregisterPolicy ? { unregisterPolicy: options.unregisterPolicy } : {}),
      ...(options.registerPolicy ? { registerPolicy: options.registerPolicy } : {}),
      kernelVersion: profile.kernelVersion,
      proposed: [...profile.proposed],
    };
    const driver = new ArmCspmuDriver(kernel, bus, mmio, perf, modules, driverOptions);
    container.bind(ARM_CSPMU_TOKENS.Driver).toConstantValue(driver);
    for (const name of blacklistedModules(options.blacklist, modules)) driver.registry.blockAutoRequest(name);
    const m = new Machine(kernel, container, platform, hardware, mmio, perf, driver, modules, bus, apmt, profile);
    await createApmtDevices(kernel, bus, apmt, profile.kernelVersion);
    await options.beforeDrivers?.(m);
    await modules.registerBuiltin({
      name: ARM_CSPMU_MODULE,
      version: '0.1.0',
      apiVersion: ARM_CSPMU_API_VERSION,
      init: () => driver.start(),
      exit: () => driver.stop(),
    });
    for (const p of options.plugins ?? []) await m.load(p);
    await m.settle();
    // Inversify's plans hold WeakRefs, and V8 keeps every WeakRef target alive until the current job
    // ends: in a caller's unbroken chain of awaits that is never, so each machine booted would stay
    // in memory. One turn of the event loop here ends the job that resolved this machine's services.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return m;
  }

  get clock(): ManualClock {
    if (this.kernel.clock.kind !== 'manual') throw kerr('EINVAL', 'this machine runs on real time; there is no manual clock to advance');
    return this.kernel.clock as ManualClock;
  }

  /** Advance virtual time (firing timers, overflows and rotations on the way). */
  advance(ns: number): void {
    this.clock.advance(ns);
  }

  /** Load a plugin by package or module name and wait until its devices have settled. */
  async load(name: string): Promise<ModuleHandle> {
    const m = await this.modules.load(name);
    this.driver.registry.allowAutoRequest(m.name);
    await this.settle();
    return m;
  }

  /** Unload a module (EBUSY while referenced) and wait until its devices have settled. */
  async unload(name: string): Promise<void> {
    await this.modules.unload(name);
    await this.settle();
  }

  /** Wait until deferred probes, requested module loads and queued reprobes have all finished. */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await this.modules.whenIdle();
      await this.bus.settle();
      await this.driver.settle();
      if (!this.bus.deferwq.busy && !this.driver.reprobeWq.busy) {
        await this.modules.whenIdle();
        if (!this.bus.deferwq.busy) return;
      }
    }
    throw kerr('ETIMEDOUT', 'the machine did not settle after 100 rounds of deferred probing; a probe keeps deferring');
  }

  /** The perf tool's grammar over the PMUs registered now (cached until the PMU set changes). */
  grammar(): EventGrammar {
    return grammarOf(this.perf);
  }

  /** Parse an event string with the perf tool's grammar (attrs as perf builds them, exclude_guest by default). */
  parseEvents(text: string): ParsedEvent[] {
    return parseEventList(this.perf, [text]);
  }

  /**
   * An event's scale and unit as `perf stat` shows them: from `events/<e>.scale|unit`
   * if sysfs has them (the 'units' proposal), else from the backend's event
   * table, as the real perf takes units from its own JSON event tables.
   */
  eventScaleUnit(pmu: string, event: string): { scale: number; unit: string } | undefined {
    const fromSysfs = eventScaleUnit(this.perf, pmu, event);
    if (fromSysfs) return fromSysfs;
    const inst = this.driver.instanceByName(pmu);
    const spec = inst?.ops.getEventAttrs(inst).find((a) => a.name === event);
    if (!spec || (spec.scale === undefined && spec.unit === undefined)) return undefined;
    return { scale: spec.scale ?? 1, unit: spec.unit ?? '' };
  }

  /**
   * Open every event of an event string as perf stat -a does (each on its
   * PMU's cpumask CPU, or on `cpu`), groups kept together; all or nothing.
   * The attrs are the string's own: without perf's host-only default, so an
   * uncore PMU sees one open per event.
   */
  open(text: string, opts: { readonly cpu?: number } = {}): PerfEvent[] {
    if (opts === null || typeof opts !== 'object') throw kerr('EINVAL', `open options must be an object, got ${describeValue(opts)}`);
    if (opts.cpu !== undefined && (!Number.isSafeInteger(opts.cpu) || opts.cpu < 0))
      throw kerr('EINVAL', `open: cpu must be a CPU number, got ${describeValue(opts.cpu)}`);
    const list = parseEventList(this.perf, [text]);
    const counters = openEventList(this.perf, this.kernel, list, {
      systemWide: true,
      strict: true,
      exact: true,
      ...(opts.cpu !== undefined ? { cpus: [opts.cpu] } : {}),
    });
    return counters.flatMap((c) => c.events.filter((e): e is PerfEvent => e !== undefined));
  }

  /**
   * Close events opened with `open` (one, or a list: checked first, then
   * members before leaders). They are off their PMUs at once; the promise
   * settles when their frees have dropped their module references.
   */
  close(events: PerfEvent | readonly PerfEvent[]): Promise<void> {
    return closeEvents(this.perf, events);
  }

  /** Every bound device with its PMU, backend and module, in device order (stable across reprobes). */
  bindings(): DeviceBinding[] {
    return this.driver.bindings();
  }

  /** A device's binding once it is bound with no reprobe pending (and to `backend`, if given). */
  whenBound(device: string, options?: WhenBoundOptions): Promise<DeviceBinding> {
    return whenBound(this.kernel, this.bus, this.driver, device, options);
  }

  async shutdown(): Promise<void> {
    for (const e of this.perf.liveEvents()) if (e.isLeader) await this.perf.close(e);
    for (const e of this.perf.liveEvents()) await this.perf.close(e);
    for (const m of this.modules.list().reverse()) {
      if (m.name !== ARM_CSPMU_MODULE && m.users.length === 0) await this.modules.unload(m.name).catch(() => undefined);
    }
    for (const m of this.modules.list().reverse()) await this.modules.unload(m.name).catch(() => undefined);
    this.hardware.shutdown();
  }

  /**
   * Done with this machine: its container forgets every service, so the
   * machine can be collected young rather than at the next full collection
   * (see releaseKernelContainer). A module whose init runs after this finds
   * no machine service (ENOENT). Releasing twice does nothing.
   */
  release(): void {
    releaseKernelContainer(this.container);
  }
}
