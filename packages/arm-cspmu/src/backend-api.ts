// The backend contract: the instance a backend sees, every BackendOps hook with when it runs and what its default does, and the match.
import type { KernelVersion } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import type { PerfEvent } from '@cspmu/perf';

/** The perf types a backend sees, so it needs no other import. */
export type { HwPerfEvent, PerfEvent } from '@cspmu/perf';

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
 * One CoreSight PMU instance as a backend sees it (`struct arm_cspmu`): its
 * identity, counter geometry and CPUs, the mapped register pages, and the
 * helpers a backend programs filters with. A backend keeps per-instance
 * state in the closure its `init` returns, not on the instance.
 */
export interface CspmuInstance {
  /** The upstream driver version being modelled ('7.3' or '6.12'): backends that changed between them follow it. */
  readonly kernelVersion: KernelVersion;
  /** The platform device name, `arm-cs-arch-pmu.<id>`. */
  readonly device: string;
  /** The identity probe settled on: PMIIDR, else rebuilt from PMPIDR0-4, overridden by a non-zero APMT impl_id. */
  readonly pmiidr: number;
  /** PMIIDR.IMPLEMENTER: the JEP106 code (bits 0-11). */
  readonly implementer: number;
  /** PMIIDR.PRODUCTID (bits 20-31). */
  readonly product: number;
  /** PMIIDR.VARIANT (bits 16-19). */
  readonly variant: number;
  /** PMIIDR.REVISION (bits 12-15). */
  readonly revision: number;
  readonly apmt: ApmtInfo | undefined;
  readonly associatedCpus: readonly number[];
  /** NUMA node of the first associated CPU (the socket on Grace). */
  readonly socket: number;
  readonly numLogicalCounters: number;
  readonly hasCycleCounter: boolean;
  /** The logical index of the cycle counter (CYCLE_CNTR_IDX_NONE without one). */
  readonly cycleCounterLogicalIdx: number;
  readonly counterBits: number;
  /** FEAT_CSPMU_EXT64: PMCR at 0xe10, 64-bit event types and filters at an 8-byte stride. */
  readonly ext64: boolean;
  /** Page 0: configuration, event types, filters, PMIMPDEF. */
  readonly base0: IoMem;
  /** Page 1 on a dual-page PMU (counters and overflow status), else page 0. */
  readonly base1: IoMem;
  /** The event on logical counter `idx`, if any (hw_events.events[]). */
  eventAt(logical: number): PerfEvent | undefined;
  /** Logical indices in use (hw_events.used_ctrs), ascending. */
  usedCounters(): number[];
  /** Write PMEVFILTR of the event's physical counter (`event.hw.idx`). */
  writeEvFilter(event: PerfEvent, filter: number): void;
  /** Write PMEVFILT2R of the event's physical counter. */
  writeEvFilter2(event: PerfEvent, filter2: number): void;
  /** Write PMCCFILTR, the cycle counter's filter. */
  writeCcFilter(filter: number): void;
  /** A name unique among this machine's PMUs: `base`, or `base_<k>` if taken. */
  uniqueName(base: string): string;
  /**
   * The next index for PMU names made from `prefix`: 0, 1, 2… in probe
   * order, never given back while the backend stays registered (an IDA that
   * lives as long as the module, as upstream's per-driver counters do).
   */
  nameIndex(prefix: string): number;
}

/**
 * The ops a backend may override (`struct arm_cspmu_impl_ops`); any it
 * leaves out keep the generic driver's behaviour, described under
 * "Default" on each. Every hook is called synchronously; a throw from a
 * probe-time hook fails the probe, one from an event hook fails that call.
 */
export interface BackendOps {
  /**
   * The `events/` directory. Runs once at probe, after `getName` and
   * `getIdentifier`, while the PMU is built and before it is registered
   * with perf; the instance's identity and geometry are final.
   * Default: only `cycles` (event=0x100000000).
   */
  getEventAttrs?(inst: CspmuInstance): readonly EventAttrSpec[];
  /**
   * The `format/` directory. Runs once at probe, right after
   * `getEventAttrs`. Default: `event` config:0-32, `filter` config1:0-31,
   * `filter2` config2:0-31 (each spanning bits 0-63 with FEAT_CSPMU_EXT64).
   */
  getFormatAttrs?(inst: CspmuInstance): readonly FormatAttrSpec[];
  /**
   * The `identifier` file. Runs once at probe, after `getName`, with the
   * instance's identity (PMIIDR) and geometry final; an empty string fails
   * the probe. Default: PMIIDR in hex.
   */
  getIdentifier?(inst: CspmuInstance): string;
  /**
   * The PMU's name in sysfs and in event strings. Runs once at probe, first
   * of the naming hooks, before the PMU is registered; names of other PMUs
   * already registered are taken (use `inst.uniqueName`). An empty string
   * fails the probe with ENOMEM. Default: `arm_cspmu_<type>_<k>` from the
   * APMT node type, with a per-type index that is never given back, or
   * `arm_cspmu_acpi_<HID>_<UID>` for ACPI-type nodes.
   */
  getName?(inst: CspmuInstance): string;
  /**
   * Does `event` use the cycle counter? Runs at pmu->add, when a counter is
   * allocated, and at event_init for each member when the event joins a
   * group (the group is tried on a scratch counter map); only on a PMU with
   * a cycle counter. No counter is assigned yet. Default: config equals
   * CYCLES_EVENT (bit 32), and never with FEAT_CSPMU_EXT64.
   */
  isCycleCounterEvent?(inst: CspmuInstance, event: PerfEvent): boolean;
  /**
   * The value written to the counter's PMEVTYPER: a u32, or the whole u64
   * (a part with FEAT_CSPMU_EXT64 takes all 64 bits). Runs once at
   * event_init, after every check passed; the result is kept in
   * `event.hw.config` and written at each pmu->start. Default: config (its
   * low 32 bits reach a part without the extension).
   */
  eventType?(inst: CspmuInstance, event: PerfEvent): number | bigint;
  /**
   * Program the cycle counter's filter. Runs at pmu->start of an event on the
   * cycle counter, after the counter was preloaded and before it is
   * enabled (PMCNTENSET), with the PMU disabled (PMCR.E = 0) by the perf
   * core. Default: config1's low 32 bits to PMCCFILTR (nothing with
   * FEAT_CSPMU_EXT64).
   */
  setCcFilter?(inst: CspmuInstance, event: PerfEvent): void;
  /**
   * Program an event counter's filters. Runs at pmu->start of an event on
   * any other counter, after PMEVTYPER was written and before the counter is
   * enabled, with the PMU disabled by the perf core; `event.hw.idx` is the
   * physical counter. Default: config1 to PMEVFILTR and config2 to
   * PMEVFILT2R of that counter (low 32 bits each; all 64 at an 8-byte stride
   * with FEAT_CSPMU_EXT64).
   */
  setEvFilter?(inst: CspmuInstance, event: PerfEvent): void;
  /**
   * Undo what `setEvFilter` set, if the backend's filter outlives the
   * counter (a per-PMU register). Runs at pmu->stop, after the counter's
   * enable and interrupt bits were cleared and before its final count is
   * read; `event.hw.idx` is still the counter. Default: nothing.
   */
  resetEvFilter?(inst: CspmuInstance, event: PerfEvent): void;
  /**
   * Accept or refuse `event` on the counters as they are. Runs at pmu->add,
   * against the real counter map, and at event_init when the event joins a
   * group, for each member against a scratch map; in both, a free counter
   * was found and is not yet taken (`usedCounters()` holds the others). Not
   * called for an event on the cycle counter. Throw a KernelError to refuse:
   * event_init then fails with EINVAL quoting your message, and pmu->add
   * returns your errno, so the event is not scheduled. Default: accept.
   */
  validateEvent?(inst: CspmuInstance, event: PerfEvent): void;
  /**
   * Show this attribute in sysfs? Runs at probe for each entry of
   * `getEventAttrs` and then of `getFormatAttrs`, right after each list is
   * returned and before the PMU is registered; the instance's identity and
   * geometry are final. Default: hide `cycles` when the PMU has no cycle
   * counter or has FEAT_CSPMU_EXT64, show everything else.
   */
  eventAttrIsVisible?(inst: CspmuInstance, attr: EventAttrSpec | FormatAttrSpec, kind: 'events' | 'format'): boolean;
}

/** Which devices a backend serves: a JEP106 implementer, optionally narrowed to a product/variant/revision. */
export interface BackendMatch {
  readonly implementer: number;
  readonly product?: number;
  readonly variant?: number;
  readonly revision?: number;
}

/** A vendor backend: its name, the devices it serves, and the ops it gives each instance. */
export interface BackendDefinition {
  /** The backend's name, e.g. `nvidia_cspmu`: what bindings report. */
  readonly name: string;
  /** The implementer it serves; `'fallback'` serves every device no vendor claims. */
  readonly match: BackendMatch | 'fallback';
  /**
   * impl_init_ops: set up one instance and return its ops. Runs at probe,
   * under the backend registry's lock, with a reference held on the
   * backend's module; the instance's identity and geometry are final but it
   * has no name yet. Keep per-instance state in the returned closures.
   * Throw to fail the probe.
   */
  init(inst: CspmuInstance): BackendOps;
}
