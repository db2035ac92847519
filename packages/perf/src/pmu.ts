// What a PMU driver gives the perf core: its callbacks, capabilities and sysfs attribute groups.
import type { ModuleHandle } from '@cspmu/kernel';
import type { PerfEvent } from './event.js';

/** One sysfs file of a PMU. `show` returns the file's text (newline included). */
export interface PmuAttribute {
  readonly name: string;
  show(): string;
  store?(value: string): void;
}

/** A directory (or, without a name, the PMU's own directory) of attributes. */
export interface AttributeGroup {
  readonly name?: string;
  readonly attrs: readonly PmuAttribute[];
  /** Hide an attribute (is_visible returning 0). */
  isVisible?(attr: PmuAttribute): boolean;
}

/**
 * What a PMU driver gives the perf core. Callbacks follow the kernel
 * contract: `eventInit` throws a KernelError (ENOENT means "not mine"),
 * `add` returns 0 or a negative errno, the rest cannot fail.
 */
export interface Pmu {
  /** Assigned by perfPmuRegister. */
  type: number;
  readonly module: ModuleHandle | undefined;
  readonly capabilities: number;
  /** 'invalid' marks an uncore PMU: per-CPU events only. */
  readonly taskCtxNr: 'invalid' | 'sw' | 'hw';
  readonly attrGroups: readonly AttributeGroup[];
  /** The software PMU's events may join any group. */
  readonly software?: boolean;
  eventInit(event: PerfEvent): void;
  add(event: PerfEvent, flags: number): number;
  del(event: PerfEvent, flags: number): void;
  start(event: PerfEvent, flags: number): void;
  stop(event: PerfEvent, flags: number): void;
  /**
   * Fold the hardware count into event.count. Called with Kernel.preemptible
   * set (perf read(2), ioctl(2)), it may return a promise when it has to wait
   * for the hardware; otherwise it must finish before it returns.
   */
  read(event: PerfEvent): void | Promise<void>;
  pmuEnable(): void;
  pmuDisable(): void;
}
