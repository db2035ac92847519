// Building one machine's dependency-injection container: every kernel service bound as a singleton of that machine.
import 'reflect-metadata';
import { Container } from 'inversify';
import { describeValue, kerr } from './base/errors.js';
import { type InjectedHazard, parseInjectedHazards } from './base/inject.js';
import { KernelLog } from './base/log.js';
import { TOKENS } from './base/tokens.js';
import { Cpus, type CpuTopology } from './cpu/cpus.js';
import { Smp } from './cpu/smp.js';
import { PlatformBus } from './driver/bus.js';
import { Sysfs } from './driver/sysfs.js';
import { IrqController } from './irq/irq.js';
import { Kernel } from './kernel.js';
import { Lockdep } from './locking/lockdep.js';
import { ModuleLoader } from './module/loader.js';
import type { PluginCatalog } from './module/types.js';
import { type Clock, ManualClock, RealClock } from './time/clock.js';
import { Lifecycle } from './trace/lifecycle.js';
import type { RingMode } from './trace/ring-buffer.js';
import { TraceFs } from './trace/tracing.js';

export interface KernelOptions {
  /** 'manual' (default, deterministic virtual time), 'real', or a clock instance. */
  readonly clock?: 'manual' | 'real' | Clock;
  readonly topology?: CpuTopology;
  readonly traceCapacity?: number;
  readonly traceMode?: RingMode;
  readonly logCapacity?: number;
  /** Where plugin packages come from (default: none; @cspmu/plugin-discovery scans module roots). */
  readonly plugins?: PluginCatalog;
  /** The plugin API version this host speaks (default 1). */
  readonly pluginApiVersion?: number;
  /** Host milliseconds a module's init, exit or one cleanup may take before ETIMEDOUT (default 10 s). */
  readonly moduleTimeoutMs?: number;
  /** Known bugs to boot with, to see them caught (default none). */
  readonly inject?: readonly InjectedHazard[];
  /** The KASAN-style lifetime checker (CONFIG_KASAN); default on. Off, a checked access costs one branch. */
  readonly kasan?: boolean;
}

/** The plugin API version of this release. */
export const PLUGIN_API_VERSION = 1;

/** Every kernel container: live (holding the snapshot of its empty state) or released. */
const kernelContainers = new WeakMap<Container, 'live' | 'released'>();

/** The kernel services of one container. */
interface KernelServices {
  readonly clock: Clock;
  readonly log: KernelLog;
  readonly lockdep: Lockdep;
  readonly cpus: Cpus;
  readonly smp: Smp;
  readonly irqs: IrqController;
  readonly trace: TraceFs;
  readonly lifecycle: Lifecycle;
  readonly sysfs: Sysfs;
  readonly kernel: Kernel;
  readonly bus: PlatformBus;
  readonly modules: ModuleLoader;
}

/** Make every kernel service of container `c`, in the order a boot's gets made them (the Kernel's constructor arguments, the Kernel, the module loader, the bus). */
function makeServices(options: KernelOptions, inject: ReadonlySet<InjectedHazard>, kasan: boolean, c: Container): KernelServices {
  const option = options.clock ?? 'manual';
  let clock: Clock;
  if (option === 'manual') clock = new ManualClock();
  else if (option === 'real') clock = new RealClock();
  else if (typeof option?.now !== 'function') throw kerr('EINVAL', "clock must be 'manual', 'real' or a Clock");
  else clock = option;
  const log = new KernelLog(() => clock.now(), options.logCapacity);
  const lockdep = new Lockdep();
  const cpus = new Cpus(options.topology ?? { nodeOfCpu: [0, 0, 0, 0] });
  const smp = new Smp(cpus.count);
  const irqs = new IrqController(log);
  const trace = new TraceFs(
    () => clock.now(),
    () => smp.current,
    options.traceCapacity,
    options.traceMode,
    cpus.count,
  );
  trace.work = clock.work;
  const lifecycle = new Lifecycle(trace, () => clock.now());
  const sysfs = new Sysfs();
  const kernel = new Kernel(clock, log, lockdep, cpus, smp, irqs, trace, lifecycle, sysfs, inject, kasan);
  const modules = new ModuleLoader(kernel, {
    // Named fields before the optional ones: in V8 11.3 an object literal that starts with a non-empty spread gets a hidden class of its own each time.
    apiVersion: options.pluginApiVersion ?? PLUGIN_API_VERSION,
    services: (token) => (c.isBound(token) ? c.get(token) : undefined),
    ...(options.plugins ? { catalog: options.plugins } : {}),
    ...(options.moduleTimeoutMs !== undefined ? { timeoutMs: options.moduleTimeoutMs } : {}),
  });
  const bus = new PlatformBus(kernel);
  return { clock, log, lockdep, cpus, smp, irqs, trace, lifecycle, sysfs, kernel, bus, modules };
}

/**
 * Build the container of one machine: every kernel service bound as a
 * singleton of this container only. Higher layers bind their own services
 * into the same container. The services are made together, on the first get
 * of any of them: each bound as its own class or factory, inversify planned
 * the Kernel's constructor and every factory's gets afresh in each container,
 * about 30 KB of a fuzz run's machine boot.
 */
export function createKernelContainer(options: KernelOptions = {}): Container {
  const inject = parseInjectedHazards(options.inject);
  const c = new Container({ defaultScope: 'Singleton' });
  // The empty state a release returns to: restoring it drops the bindings and inversify's cache of resolution plans.
  c.snapshot();
  kernelContainers.set(c, 'live');
  c.bind(TOKENS.KernelOptions).toConstantValue(options);
  c.bind(TOKENS.Inject).toConstantValue(inject);
  if (options.kasan !== undefined && typeof options.kasan !== 'boolean') throw kerr('EINVAL', `kasan must be true or false, got ${String(options.kasan)}`);
  const kasan = options.kasan ?? true;
  c.bind(TOKENS.Kasan).toConstantValue(kasan);
  let services: KernelServices | undefined;
  const made = (): KernelServices => (services ??= makeServices(options, inject, kasan, c));
  c.bind<Clock>(TOKENS.Clock).toDynamicValue(() => made().clock);
  c.bind(TOKENS.Log).toDynamicValue(() => made().log);
  c.bind(TOKENS.Lockdep).toDynamicValue(() => made().lockdep);
  c.bind(TOKENS.Cpus).toDynamicValue(() => made().cpus);
  c.bind(TOKENS.Smp).toDynamicValue(() => made().smp);
  c.bind(TOKENS.Irqs).toDynamicValue(() => made().irqs);
  c.bind(TOKENS.TraceFs).toDynamicValue(() => made().trace);
  c.bind(TOKENS.Lifecycle).toDynamicValue(() => made().lifecycle);
  c.bind(TOKENS.Sysfs).toDynamicValue(() => made().sysfs);
  c.bind(TOKENS.Kernel).toDynamicValue(() => made().kernel);
  c.bind(TOKENS.PlatformBus).toDynamicValue(() => made().bus);
  c.bind(TOKENS.Modules).toDynamicValue(() => made().modules);
  return c;
}

/** A kernel of its own, in a container of its own. */
export function createKernel(options: KernelOptions = {}): { kernel: Kernel; container: Container } {
  const container = createKernelContainer(options);
  return { kernel: container.get<Kernel>(TOKENS.Kernel), container };
}

/**
 * Forget every service of a kernel container whose machine its owner is done
 * with. Inversify keeps a part of each container in V8's old generation (a
 * closure stored straight on a field, an object literal's getters): until the
 * next full collection that part keeps every service, and through them the
 * whole machine, alive through each young collection. Released, the machine
 * can die young. A module loaded afterwards finds no service (ENOENT); a
 * second release does nothing; EINVAL for a container this file did not make.
 * Release restores the snapshot taken when the container was made: its owner
 * must not take or restore snapshots of its own on it (EBUSY if the stack is
 * empty, and the container stays unreleased).
 */
export function releaseKernelContainer(container: Container): void {
  const state = typeof container === 'object' && container !== null ? kernelContainers.get(container) : undefined;
  if (state === 'released') return;
  if (state === undefined) throw kerr('EINVAL', `releaseKernelContainer needs a container made by createKernelContainer, got ${describeValue(container)}`);
  try {
    container.restore();
  } catch (e) {
    throw kerr(
      'EBUSY',
      `releaseKernelContainer: the container's empty snapshot could not be restored (a snapshot() or restore() made on it since?): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  kernelContainers.set(container, 'released');
}
