/** Service identifiers for a machine's container; inject them explicitly with @inject(TOKEN). */
export const TOKENS = {
  KernelOptions: Symbol.for('cspmu.KernelOptions'),
  Inject: Symbol.for('cspmu.Inject'),
  Kasan: Symbol.for('cspmu.Kasan'),
  Clock: Symbol.for('cspmu.Clock'),
  Log: Symbol.for('cspmu.Log'),
  Lockdep: Symbol.for('cspmu.Lockdep'),
  Cpus: Symbol.for('cspmu.Cpus'),
  Smp: Symbol.for('cspmu.Smp'),
  Irqs: Symbol.for('cspmu.Irqs'),
  TraceFs: Symbol.for('cspmu.TraceFs'),
  Lifecycle: Symbol.for('cspmu.Lifecycle'),
  Kernel: Symbol.for('cspmu.Kernel'),
  Sysfs: Symbol.for('cspmu.Sysfs'),
  PlatformBus: Symbol.for('cspmu.PlatformBus'),
  Modules: Symbol.for('cspmu.Modules'),
} as const;
