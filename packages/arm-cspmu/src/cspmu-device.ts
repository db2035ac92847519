// What one CoreSight PMU instance is: the hardware probe found, its counter map, counter I/O and overflow handler, and the helpers backends call.
import { type CallStack, Ida, type Kernel, type KernelVersion } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import { type AttributeGroup, PERF_PMU_CAP_NO_EXCLUDE, PERF_PMU_CAP_NO_INTERRUPT, type PerfEvent } from '@cspmu/perf';
import { buildAttrGroups } from './attributes.js';
import type { ApmtInfo, CspmuInstance } from './backend-api.js';
import { Binding } from './binding.js';
import { CounterIo } from './counter-io.js';
import { CounterMap, decodePmcfgr } from './counter-map.js';
import { pmcrOffset } from './ext64.js';
import { OverflowIrq } from './overflow-irq.js';
import type { DriverProfile } from './profile.js';
import * as regs from './regs.js';
import { PMIIDR_IMPLEMENTER_MASK, PMIIDR_PRODUCTID_MASK, PMIIDR_REVISION_MASK, PMIIDR_VARIANT_MASK } from './regs.js';
import { type BackendCallSites, BackendRules } from './sites.js';

/** The filter registers backends write through the helpers on every pmu->start (local copies: see regs.ts). */
const { PMCCFILTR, PMEVFILT2R, PMEVFILTR } = regs;

/** What probe found out about the hardware, before the instance exists. */
export interface ProbedHardware {
  readonly device: string;
  readonly apmt: ApmtInfo | undefined;
  readonly base0: IoMem;
  readonly base1: IoMem;
  readonly hasAtomicDword: boolean;
  readonly pmcfgr: number;
  readonly ext64: boolean; // found by the 7.3 probe's FEAT_CSPMU_EXT64 test
  readonly irq: number;
  readonly associatedCpus: readonly number[];
  readonly socket: number;
  /** The driver's version profile and proposals. */
  readonly profile: DriverProfile;
}

/**
 * The state of one CoreSight PMU instance (`struct arm_cspmu` without its
 * perf callbacks, which ArmCspmu adds): what probe found, the counter
 * geometry, and the parts the callbacks use. Counter allocation is the
 * CounterMap's, counter reads and writes the CounterIo's, and the backend
 * binding state the Binding record's it extends.
 */
export class CspmuDevice extends Binding implements CspmuInstance {
  type = -1;
  readonly taskCtxNr = 'invalid' as const;
  protected caps = PERF_PMU_CAP_NO_EXCLUDE;
  attrGroups: AttributeGroup[] = [];

  readonly apmt: ApmtInfo | undefined;
  readonly base0: IoMem;
  readonly base1: IoMem;
  readonly hasAtomicDword: boolean;
  readonly irq: number;
  readonly associatedCpus: readonly number[];
  /** 1 at each associated CPU's number: event_init and add ask on every open, and a typed-array load is cheaper there than an array search. */
  protected readonly associated: Uint8Array;
  readonly socket: number;
  readonly numLogicalCounters: number;
  readonly hasCycleCounter: boolean;
  readonly cycleCounterLogicalIdx: number;
  readonly numSetClrReg: number;
  readonly counterBits: number;
  readonly ext64: boolean;
  /** PMCR's offset: 0xe10 under FEAT_CSPMU_EXT64, else 0xe04. */
  readonly pmcr: number;
  readonly profile: DriverProfile;
  pmiidr = 0;
  name = '';
  identifier = '';
  activeCpu = -1;

  /** The machine's call stack (the frames of the decorated callbacks go here). */
  readonly calls: CallStack;
  protected readonly counters: CounterMap;
  protected readonly io: CounterIo;
  protected readonly overflow: OverflowIrq;

  constructor(
    readonly kernel: Kernel,
    hw: ProbedHardware,
    /** Called when the last event's reference is dropped while a reprobe is pending. */
    protected readonly onIdle: (inst: CspmuDevice) => void | Promise<void>,
    readonly uniqueName: (base: string) => string,
    /** The driver's name indexes, for devices on the generic ops. */
    private readonly genericNameIndexes: Map<string, Ida>,
    protected readonly sites: BackendCallSites,
  ) {
    super(hw.device, kernel.refcount(`arm_cspmu:${hw.device}`, 1), kernel.kasan);
    this.calls = kernel.calls;
    this.apmt = hw.apmt;
    this.base0 = hw.base0;
    this.base1 = hw.base1;
    this.hasAtomicDword = hw.hasAtomicDword;
    this.ext64 = hw.ext64;
    this.pmcr = pmcrOffset(hw.ext64);
    this.irq = hw.irq;
    this.associatedCpus = hw.associatedCpus;
    this.associated = new Uint8Array(Math.max(-1, ...hw.associatedCpus) + 1);
    for (const cpu of hw.associatedCpus) this.associated[cpu] = 1;
    this.socket = hw.socket;
    this.profile = hw.profile;
    const g = decodePmcfgr(hw.pmcfgr);
    this.numLogicalCounters = g.numLogicalCounters;
    this.hasCycleCounter = g.hasCycleCounter;
    this.cycleCounterLogicalIdx = g.cycleCounterLogicalIdx;
    this.numSetClrReg = g.numSetClrReg;
    this.counterBits = g.counterBits;
    this.counters = new CounterMap(g, new BackendRules(this, sites));
    this.io = new CounterIo(hw.base1, g.counterBits, hw.hasAtomicDword, kernel, kernel.inject.has('no-hilohi'));
    this.overflow = new OverflowIrq(this, this.counters, this.io);
    if (this.irq === 0) this.caps |= PERF_PMU_CAP_NO_INTERRUPT;
  }

  /** pmu->capabilities (the core reads it at open and in the free path, after destroy). Small enough for V8 to inline, as pmu->module. */
  get capabilities(): number {
    return this.shadow.freedBy === null ? this.caps : this.capabilitiesAfterFree();
  }

  private capabilitiesAfterFree(): number {
    this.shadow.report('pmu->capabilities');
    return this.caps;
  }

  get kernelVersion(): KernelVersion {
    return this.profile.kernelVersion;
  }

  // ------------------------------------------------------------ backend helpers

  get implementer(): number {
    return this.pmiidr & PMIIDR_IMPLEMENTER_MASK;
  }

  get product(): number {
    return (this.pmiidr & PMIIDR_PRODUCTID_MASK) >>> 20;
  }

  get variant(): number {
    return (this.pmiidr & PMIIDR_VARIANT_MASK) >>> 16;
  }

  get revision(): number {
    return (this.pmiidr & PMIIDR_REVISION_MASK) >>> 12;
  }

  eventAt(logical: number): PerfEvent | undefined {
    return this.counters.eventAt(logical);
  }

  usedCounters(): number[] {
    return this.counters.usedCounters();
  }

  nameIndex(prefix: string): number {
    const indexes = this.impl?.nameIndexes ?? this.genericNameIndexes;
    let ida = indexes.get(prefix);
    if (!ida) indexes.set(prefix, (ida = new Ida()));
    return ida.alloc();
  }

  writeEvFilter(event: PerfEvent, filter: number): void {
    this.base0.writel(filter >>> 0, PMEVFILTR + 4 * event.hw.idx);
  }

  writeEvFilter2(event: PerfEvent, filter2: number): void {
    this.base0.writel(filter2 >>> 0, PMEVFILT2R + 4 * event.hw.idx);
  }

  writeCcFilter(filter: number): void {
    this.base0.writel(filter >>> 0, PMCCFILTR);
  }

  /** Build the events, format and identity attribute groups from the ops. */
  buildAttrGroups(): void {
    this.attrGroups = buildAttrGroups(this, this.sites);
  }
}
