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

/**
 * Build the container of one machine: every kernel service bound as a
 * singleton of this container only. Higher layers bind their own services
 * into the same container.
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
  c.bind(TOKENS.Kasan).toConstantValue(options.kasan ?? true);
  c.bind<Clock>(TOKENS.Clock).toDynamicValue(() => {
    const clock = options.clock ?? 'manual';
    if (clock === 'manual') return new ManualClock();
    if (clock === 'real') return new RealClock();
    if (typeof clock?.now !== 'function') throw kerr('EINVAL', "clock must be 'manual', 'real' or a Clock");
    return clock;
  });
  c.bind(TOKENS.Log).toDynamicValue((ctx) => {
    const clock = ctx.get<Clock>(TOKENS.Clock);
    return new KernelLog(() => clock.now(), options.logCapacity);
  });
  c.bind(TOKENS.Lockdep).toDynamicValue(() => new Lockdep());
  c.bind(TOKENS.Cpus).toDynamicValue(() => new Cpus(options.topology ?? { nodeOfCpu: [0, 0, 0, 0] }));
  c.bind(TOKENS.Smp).toDynamicValue((ctx) => new Smp(ctx.get<Cpus>(TOKENS.Cpus).count));
  c.bind(TOKENS.Irqs).toDynamicValue((ctx) => new IrqController(ctx.get<KernelLog>(TOKENS.Log)));
  c.bind(TOKENS.TraceFs).toDynamicValue((ctx) => {
    const clock = ctx.get<Clock>(TOKENS.Clock);
    const smp = ctx.get<Smp>(TOKENS.Smp);
    const fs = new TraceFs(
      () => clock.now(),
      () => smp.current,
      options.traceCapacity,
      options.traceMode,
      ctx.get<Cpus>(TOKENS.Cpus).count,
    );
    fs.work = clock.work;
    return fs;
  });
  c.bind(TOKENS.Lifecycle).toDynamicValue((ctx) => {
    const clock = ctx.get<Clock>(TOKENS.Clock);
    return new Lifecycle(ctx.get<TraceFs>(TOKENS.TraceFs), () => clock.now());
  });
  c.bind(TOKENS.Sysfs).toDynamicValue(() => new Sysfs());
  c.bind(TOKENS.Kernel).to(Kernel);
  c.bind(TOKENS.PlatformBus).toDynamicValue((ctx) => new PlatformBus(ctx.get<Kernel>(TOKENS.Kernel)));
  c.bind(TOKENS.Modules).toDynamicValue(
    (ctx) =>
      new ModuleLoader(ctx.get<Kernel>(TOKENS.Kernel), {
        // Named fields before the optional ones: in V8 11.3 an object literal that starts with a non-empty spread gets a hidden class of its own each time.
        apiVersion: options.pluginApiVersion ?? PLUGIN_API_VERSION,
        services: (token) => (c.isBound(token) ? c.get(token) : undefined),
        ...(options.plugins ? { catalog: options.plugins } : {}),
        ...(options.moduleTimeoutMs !== undefined ? { timeoutMs: options.moduleTimeoutMs } : {}),
      }),
  );
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
