import type { Kernel, ModuleHandle } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import type { PerfEvent } from '@cspmu/perf';

/** The perf types a backend sees, so it needs no other import. */
export type { PerfEvent, HwPerfEvent } from '@cspmu/perf';

/** An entry of the PMU's events directory: `event=0x…` (plus optional extra terms), scale and unit. */
export interface EventAttrSpec {
  readonly name: string;
  /** The value of the `event` term. */
  readonly event: bigint;
  /** More terms after `event=…`, e.g. `root_port=0x3` (rare). */
  readonly extraTerms?: string;
  /** `events/<name>.scale`, e.g. 32 for 32-byte beats. */
  readonly scale?: number;
  /** `events/<name>.unit`, e.g. `Bytes`. */
  readonly unit?: string;
  readonly description?: string;
}

/** An entry of the PMU's format directory, e.g. `{ name: 'root_port', format: 'config1:0-9' }`. */
export interface FormatAttrSpec {
  readonly name: string;
  readonly format: string;
}

/** What the APMT node says about the device (platform data). */
export interface ApmtInfo {
  readonly type: number;
  readonly id: number;
  readonly flags: number;
  readonly instPrimary: bigint;
  readonly instSecondary: number;
  readonly procAffinity: number;
  readonly implId: number;
}

/**
 * One CoreSight PMU instance as a backend sees it (`struct arm_cspmu`):
 * identity, counters, CPUs, the mapped pages and a private context.
 */
export interface CspmuInstance {
  readonly kernel: Kernel;
  /** The platform device name, `arm-cs-arch-pmu.<id>`. */
  readonly device: string;
  readonly pmiidr: number;
  readonly apmt: ApmtInfo | undefined;
  readonly associatedCpus: readonly number[];
  /** NUMA node of the first associated CPU (the socket on Grace). */
  readonly socket: number;
  readonly numLogicalCounters: number;
  readonly hasCycleCounter: boolean;
  readonly cycleCounterLogicalIdx: number;
  readonly counterBits: number;
  /** FEAT_CSPMU_EXT64: PMCR at 0xe10, 64-bit event types and filters at an 8-byte stride. */
  readonly ext64: boolean;
  readonly base0: IoMem;
  readonly base1: IoMem;
  /** Backend-private data, per instance. */
  ctx: unknown;
  /** The event on logical counter `idx`, if any (hw_events.events[]). */
  eventAt(logical: number): PerfEvent | undefined;
  /** Logical indices in use (hw_events.used_ctrs), ascending. */
  usedCounters(): number[];
  /** Write PMEVFILTR / PMEVFILT2R of the event's counter, or PMCCFILTR. */
  writeEvFilter(event: PerfEvent, filter: number): void;
  writeEvFilter2(event: PerfEvent, filter2: number): void;
  writeCcFilter(filter: number): void;
  /** A name unique among this machine's PMUs: `base`, or `base_<k>` if taken. */
  uniqueName(base: string): string;
}

/** The ops a backend may override (`struct arm_cspmu_impl_ops`); the rest keep the generic defaults. */
export interface BackendOps {
  getEventAttrs?(inst: CspmuInstance): readonly EventAttrSpec[];
  getFormatAttrs?(inst: CspmuInstance): readonly FormatAttrSpec[];
  getIdentifier?(inst: CspmuInstance): string;
  getName?(inst: CspmuInstance): string;
  isCycleCounterEvent?(inst: CspmuInstance, event: PerfEvent): boolean;
  /** The event type to program: a u32, or the whole u64 (a part with FEAT_CSPMU_EXT64 takes all 64 bits). */
  eventType?(inst: CspmuInstance, event: PerfEvent): number | bigint;
  setCcFilter?(inst: CspmuInstance, event: PerfEvent): void;
  setEvFilter?(inst: CspmuInstance, event: PerfEvent): void;
  resetEvFilter?(inst: CspmuInstance, event: PerfEvent): void;
  /** Throw (any KernelError) to refuse the event on this counter map. */
  validateEvent?(inst: CspmuInstance, event: PerfEvent): void;
  eventAttrIsVisible?(inst: CspmuInstance, attr: EventAttrSpec | FormatAttrSpec, kind: 'events' | 'format'): boolean;
}

/** Which devices a backend serves: a JEP106 implementer, optionally narrowed to a product/variant/revision. */
export interface BackendMatch {
  readonly implementer: number;
  readonly product?: number;
  readonly variant?: number;
  readonly revision?: number;
}

export interface BackendDefinition {
  /** The backend's module name, e.g. `nvidia_cspmu`. */
  readonly name: string;
  /** The implementer it serves; `'fallback'` serves every device no vendor claims. */
  readonly match: BackendMatch | 'fallback';
  /** impl_init_ops: set up one instance and return its ops. Throw to fail the probe. */
  init(inst: CspmuInstance): BackendOps;
}

export interface RegisteredBackend {
  readonly definition: BackendDefinition;
  readonly module: ModuleHandle | undefined;
  readonly pmiidrVal: number;
  readonly pmiidrMask: number;
}

/** PMIIDR value and mask of a match (implementer always; product, variant, revision if given). */
export function matchToPmiidr(m: BackendMatch): { val: number; mask: number } {
  let val = m.implementer & 0xfff;
  let mask = 0xfff;
  if (m.product !== undefined) {
    val |= (m.product & 0xfff) << 20;
    mask |= 0xfff00000;
  }
  if (m.variant !== undefined) {
    val |= (m.variant & 0xf) << 16;
    mask |= 0xf0000;
  }
  if (m.revision !== undefined) {
    val |= (m.revision & 0xf) << 12;
    mask |= 0xf000;
  }
  return { val: val >>> 0, mask: mask >>> 0 };
}
