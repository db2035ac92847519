import { ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE, type ApmtInfo } from '@cspmu/arm-cspmu';
import { ARM_CSPMU_TOKENS, ArmCspmuDriver, type ArmCspmuOptions } from '@cspmu/arm-cspmu/driver';
import {
  apmtNodesOf,
  buildApmt,
  builtinPlatform,
  decodeApmt,
  Hardware,
  loadPlatform,
  loadWorkload,
  APMT_IRQ_MODE_EDGE,
  APMT_FLAG_DUAL_PAGE,
  type ApmtTable,
  type Platform,
  type PlatformSpec,
  type WorkloadSpec,
} from '@cspmu/hw';
import {
  createKernelContainer,
  describeThrown,
  kerr,
  TOKENS,
  type InjectedHazard,
  type Kernel,
  type ManualClock,
  type ModuleHandle,
  type ModuleLoader,
  type PlatformBus,
  type Resource,
} from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { PluginDiscovery } from '@cspmu/plugin-discovery';
import { EventGrammar, describePmus, PerfCore, type OpenOptions, type ParsedEvent, type PerfEvent } from '@cspmu/perf';
import type { Container } from 'inversify';
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
  /** Plugin packages or module names to load at boot (modprobe). */
  readonly plugins?: readonly string[];
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
  /** Called once devices exist and before the core driver loads: start tracers that must see the probes. */
  readonly beforeDrivers?: (m: Machine) => void | Promise<void>;
}

export const PLATFORM_DRIVER_DEVICE = 'arm-cs-arch-pmu';

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
  ) {}

  static async boot(options: MachineOptions = {}): Promise<Machine> {
    const spec = typeof options.platform === 'string' || options.platform === undefined ? builtinPlatform(options.platform ?? 'grace') : options.platform;
    const platform = loadPlatform(spec);
    const workload = loadWorkload(options.workload ?? platform.workload);
    const installed = options.installed ? new Set(options.installed) : undefined;
    const container = createKernelContainer({
      topology: platform.topology,
      clock: options.clock ?? 'manual',
      plugins: new PluginDiscovery({ roots: options.moduleRoots ?? [workspaceRoot()], ...(installed ? { installed: (p: string) => installed.has(p) } : {}) }),
      ...(options.moduleTimeoutMs !== undefined ? { moduleTimeoutMs: options.moduleTimeoutMs } : {}),
      ...(options.inject ? { inject: options.inject } : {}),
      ...(options.traceCapacity ? { traceCapacity: options.traceCapacity } : {}),
    });
    const kernel = container.get<Kernel>(TOKENS.Kernel);
    const modules = container.get<ModuleLoader>(TOKENS.Modules);
    const bus = container.get<PlatformBus>(TOKENS.PlatformBus);
    const mmio = new MmioBus(kernel);
    const hardware = new Hardware(platform, workload, { clock: kernel.clock, irqs: kernel.irqs, map: mmio.map });
    const apmt = decodeApmt(options.apmt ?? buildApmt(apmtNodesOf(platform)));
    const perf = new PerfCore(kernel, modules);
    if (options.paranoid !== undefined) perf.paranoid = checkedParanoid(options.paranoid);
    const driver = new ArmCspmuDriver(kernel, bus, mmio, perf, modules, options);
    container.bind(ARM_CSPMU_TOKENS.Driver).toConstantValue(driver);
    const m = new Machine(kernel, container, platform, hardware, mmio, perf, driver, modules, bus, apmt);
    await m.createApmtDevices();
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

  /** acpi_apmt_init: one `arm-cs-arch-pmu.<id>` platform device per node, with its MEM and IRQ resources. */
  private async createApmtDevices(): Promise<void> {
    for (const node of this.apmt.nodes) {
      const resources: Resource[] = [{ type: 'mem', start: node.baseAddress0, end: node.baseAddress0 + 0xfff }];
      if (node.flags & APMT_FLAG_DUAL_PAGE) resources.push({ type: 'mem', start: node.baseAddress1, end: node.baseAddress1 + 0xfff });
      if (node.ovflwIrq !== 0) {
        try {
          const irq = this.kernel.irqs.registerLine(node.ovflwIrq, node.ovflwIrqFlags & APMT_IRQ_MODE_EDGE ? 'edge' : 'level');
          resources.push({ type: 'irq', irq });
        } catch (e) {
          this.kernel.log.warn('apmt', `APMT could not register gsi hwirq ${node.ovflwIrq}: ${(e as Error).message}`);
        }
      }
      const id = node.id & 0x7fffffff;
      if (id !== node.id) this.kernel.log.warn('apmt', `Unexpectedly large UID 0x${node.id.toString(16)}, truncated to 0x${id.toString(16)}`);
      const info: ApmtInfo = {
        type: node.type,
        id: node.id,
        flags: node.flags,
        instPrimary: node.instPrimary,
        instSecondary: node.instSecondary,
        procAffinity: node.procAffinity,
        implId: node.implId,
      };
      await this.bus.addDevice(PLATFORM_DRIVER_DEVICE, id, resources, info);
    }
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

  /** The grammar over the PMUs registered right now. */
  grammar(): EventGrammar {
    return new EventGrammar(describePmus(this.perf));
  }

  parseEvents(text: string): ParsedEvent[] {
    return this.grammar().parse(text);
  }

  /** The first CPU of a PMU's cpumask, where perf opens its events (-1 if it has none). */
  cpumaskCpu(pmu: string): number {
    const path = `/bus/event_source/devices/${pmu}/cpumask`;
    if (!this.kernel.sysfs.exists(path)) return 0;
    const first = this.kernel.sysfs.read(path).trim().split(/[,-]/)[0];
    return first === undefined || first === '' ? -1 : Number(first);
  }

  /**
   * Open every event of an event string (groups honoured). Like perf, each
   * event goes on its PMU's cpumask CPU unless `cpu` is given.
   */
  open(text: string, opts: Partial<Omit<OpenOptions, 'group'>> = {}): PerfEvent[] {
    const parsed = this.parseEvents(text);
    const opened: PerfEvent[] = [];
    const leaders = new Map<number, PerfEvent>();
    try {
      for (const p of parsed) {
        const group = p.group === undefined ? undefined : leaders.get(p.group);
        const cpu = opts.cpu ?? (group ? group.cpu : this.cpumaskCpu(p.pmu));
        const e = this.perf.open(p.attr, { ...opts, cpu, ...(group ? { group } : {}) });
        if (p.group !== undefined && !group) leaders.set(p.group, e);
        opened.push(e);
      }
    } catch (e) {
      for (const ev of opened.reverse()) this.perf.close(ev);
      throw e;
    }
    return opened;
  }

  async shutdown(): Promise<void> {
    for (const e of this.perf.liveEvents()) if (e.isLeader) this.perf.close(e);
    for (const e of this.perf.liveEvents()) this.perf.close(e);
    for (const m of this.modules.list().reverse()) {
      if (m.name !== ARM_CSPMU_MODULE && m.users.length === 0) await this.modules.unload(m.name).catch(() => undefined);
    }
    for (const m of this.modules.list().reverse()) await this.modules.unload(m.name).catch(() => undefined);
    this.hardware.shutdown();
  }
}

/** perf_event_paranoid is a C int sysctl (proc_dointvec): any int, nothing else. */
function checkedParanoid(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw kerr('EINVAL', `paranoid must be an integer that fits an int, got ${describeThrown(typeof v === 'object' ? 'an object' : v)}`);
  return v;
}
