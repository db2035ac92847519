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
  /**
   * Multiplexing in closed form (optional; an emulator's shortcut, not a
   * kernel callback): the rotation cycle that just ended repeats up to
   * `plan.maxCycles` more times. Add each window's count over the copies to
   * its event, leave the PMU as the last copy would, and return how many
   * cycles were applied; 0 refuses, and the core rotates one by one.
   */
  replayRotations?(plan: RotationReplay): number;
}

/** One slice an event spent on its PMU, on hardware counter `idx`, in clock time [start, end). */
export interface RotationWindow {
  readonly event: PerfEvent;
  readonly idx: number;
  readonly start: number;
  readonly end: number;
}

/** A rotation cycle of one context that repeats exactly (see Pmu.replayRotations). */
export interface RotationReplay {
  /** Every slice of the cycle that just ended, for every event that was on the PMU in it. */
  readonly windows: readonly RotationWindow[];
  /** The events on the PMU now, as at the start of that cycle. */
  readonly active: readonly PerfEvent[];
  /** The cycle's length in ns (rotations times the interval). */
  readonly period: number;
  readonly maxCycles: number;
}
