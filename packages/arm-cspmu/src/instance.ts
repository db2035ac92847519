// One CoreSight PMU instance (struct arm_cspmu with its struct pmu): the perf callbacks in the kernel's order of checks and register writes.
import { type CallStack, formatCpuList, Ida, IRQ_NONE, IRQ_WAKE_THREAD, type IrqReturn, type Kernel, type KernelVersion, kerr, kfunc } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import {
  type AttributeGroup,
  isSampling,
  PERF_EF_RELOAD,
  PERF_EF_START,
  PERF_EF_UPDATE,
  PERF_HES_STOPPED,
  PERF_HES_UPTODATE,
  PERF_PMU_CAP_NO_EXCLUDE,
  PERF_PMU_CAP_NO_INTERRUPT,
  type PerfEvent,
  type Pmu,
} from '@cspmu/perf';
import { buildAttrGroups } from './attributes.js';
import type { ApmtInfo, CspmuInstance } from './backend-api.js';
import { Binding } from './binding.js';
import { CounterIo, READ_FRAME } from './counter-io.js';
import { CounterMap, decodePmcfgr } from './counter-map.js';
import { pmcrOffset, splitEventType, writeEventType } from './ext64.js';
import { OverflowIrq } from './overflow-irq.js';
import type { DriverProfile } from './profile.js';
import {
  PMCCFILTR,
  PMCNTENCLR,
  PMCNTENSET,
  PMCR_E,
  PMEVFILT2R,
  PMEVFILTR,
  PMIIDR_IMPLEMENTER_MASK,
  PMIIDR_PRODUCTID_MASK,
  PMIIDR_REVISION_MASK,
  PMIIDR_VARIANT_MASK,
  PMINTENCLR,
  PMINTENSET,
} from './regs.js';
import { replayRotations } from './rotation-replay.js';
import { type BackendCallSites, BackendRules, eventOps } from './sites.js';

const ENOENT = -2;
/** event->destroy of every arm_cspmu event: the instance is the event's PMU (one function, nothing made per open). */
const destroyEvent = (event: PerfEvent): void | Promise<void> => (event.pmu as ArmCspmu).destroy(event);

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
 * One CoreSight PMU instance: `struct arm_cspmu` and its `struct pmu`. The perf callbacks follow the kernel's order of checks
 * and register writes exactly; the counter paths allocate nothing. Counter allocation is the CounterMap's, counter reads and
 * writes the CounterIo's, and the backend binding state the Binding record's it extends.
 */
export class ArmCspmu extends Binding implements CspmuInstance, Pmu {
  type = -1;
  readonly taskCtxNr = 'invalid' as const;
  private caps = PERF_PMU_CAP_NO_EXCLUDE;
  attrGroups: AttributeGroup[] = [];

  readonly apmt: ApmtInfo | undefined;
  readonly base0: IoMem;
  readonly base1: IoMem;
  readonly hasAtomicDword: boolean;
  readonly irq: number;
  readonly associatedCpus: readonly number[];
  /** 1 at each associated CPU's number: event_init and add ask on every open, and a typed-array load is cheaper there than an array search. */
  private readonly associated: Uint8Array;
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
  private readonly counters: CounterMap;
  private readonly io: CounterIo;
  private readonly overflow: OverflowIrq;
  private warnedAdd = false;

  constructor(
    readonly kernel: Kernel,
    hw: ProbedHardware,
    /** Called when the last event's reference is dropped. */
    private readonly onIdle: (inst: ArmCspmu) => void | Promise<void>,
    readonly uniqueName: (base: string) => string,
    /** The driver's name indexes, for devices on the generic ops. */
    private readonly genericNameIndexes: Map<string, Ida>,
    private readonly sites: BackendCallSites,
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

  /** pmu->capabilities (the core reads it at open and in the free path, after destroy). */
  get capabilities(): number {
    if (this.shadow.freedBy !== null) this.shadow.report('pmu->capabilities');
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

  // ------------------------------------------------------------ perf callbacks

  @kfunc('arm_cspmu_event_init')
  eventInit(event: PerfEvent): void {
    if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (event_init)');
    if (event.attr.type !== this.type) throw kerr('ENOENT', `type ${event.attr.type} is not ${this.name}'s (${this.type})`);
    if (this.reprobing) throw kerr('EBUSY', `${this.name} is being reprobed into another backend; open the event again once it is back`);
    if (isSampling(event.attr)) throw kerr('EOPNOTSUPP', `${this.name} does not support sampling; count instead (perf stat)`);
    if (event.cpu < 0 || event.task !== -1) throw kerr('EINVAL', `${this.name} is an uncore PMU: per-task events are not supported; count system-wide (-a)`);
    if (this.associated[event.cpu] !== 1) {
      throw kerr('EINVAL', `cpu ${event.cpu} is not associated with ${this.name} (associated_cpus ${formatCpuList(this.associatedCpus)})`);
    }
    if (this.activeCpu < 0) throw kerr('EINVAL', `${this.name} has no online CPU to count on`);
    event.cpu = this.activeCpu;
    this.counters.lastRefusal = '';
    if (!this.counters.fitsGroup(event, this)) {
      throw kerr(
        'EINVAL',
        this.counters.lastRefusal
          ? `${this.name} refused the group: ${this.counters.lastRefusal}`
          : `the group does not fit ${this.name}'s counters or mixes PMUs`,
      );
    }
    event.hw.idx = -1;
    event.hw.extraIdx = -1;
    splitEventType(event.hw, eventOps.eventType(this.sites, this, event));
    this.refs.inc();
    event.destroy = destroyEvent;
  }

  /** event->destroy: drop the instance reference; the last one lets a pending reprobe go (as queued work). */
  @kfunc('arm_cspmu_event_destroy')
  destroy(_event: PerfEvent): void | Promise<void> {
    this.refs.decAndTest();
    return this.idle ? this.onIdle(this) : undefined;
  }

  @kfunc('arm_cspmu_add')
  add(event: PerfEvent, flags: number): number {
    if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (add)');
    if (this.associated[this.kernel.smp.current] !== 1) {
      if (!this.warnedAdd) {
        this.warnedAdd = true;
        this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: add on cpu ${this.kernel.smp.current}, which is not associated`);
      }
      return ENOENT;
    }
    const idx = this.counters.allocate(this.counters.used, event);
    if (idx < 0) return idx;
    this.counters.install(idx, event);
    event.hw.idx = this.counters.toPhys(idx);
    event.hw.extraIdx = idx;
    event.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
    if (flags & PERF_EF_START) this.start(event, PERF_EF_RELOAD);
    return 0;
  }

  @kfunc('arm_cspmu_del')
  del(event: PerfEvent, _flags: number): void {
    if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (del)');
    this.stop(event, PERF_EF_UPDATE);
    this.counters.release(event.hw.extraIdx);
    event.hw.idx = -1;
  }

  @kfunc('arm_cspmu_start')
  start(event: PerfEvent, flags: number): void {
    if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (start)');
    if (flags & PERF_EF_RELOAD && !(event.hw.state & PERF_HES_UPTODATE)) {
      this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: reload of an out-of-date event`);
    }
    this.io.setPeriod(event);
    const phys = event.hw.idx;
    if (event.hw.extraIdx === this.cycleCounterLogicalIdx) {
      eventOps.setCcFilter(this.sites, this, event);
    } else {
      writeEventType(this.base0, this.ext64, phys, event.hw.config, event.hw.configHi);
      eventOps.setEvFilter(this.sites, this, event);
    }
    event.hw.state = 0;
    const reg = 4 * (phys >> 5);
    const bit = (1 << (phys & 31)) >>> 0;
    this.base0.writel(bit, PMINTENSET + reg);
    this.base0.writel(bit, PMCNTENSET + reg);
  }

  @kfunc('arm_cspmu_stop')
  stop(event: PerfEvent, _flags: number): void {
    if (event.hw.state & PERF_HES_STOPPED) return;
    if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (stop)');
    const phys = event.hw.idx;
    const reg = 4 * (phys >> 5);
    const bit = (1 << (phys & 31)) >>> 0;
    this.base0.writel(bit, PMCNTENCLR + reg);
    this.base0.writel(bit, PMINTENCLR + reg);
    eventOps.resetEvFilter(this.sites, this, event);
    this.io.update(event);
    event.hw.state |= PERF_HES_STOPPED | PERF_HES_UPTODATE;
  }

  /** pmu->read (from a reader that may sleep, a promise when the counter read must wait). Its frame is pushed here, not by @kfunc: the try that pops it pops the update's (CounterIo.updateForRead), and the read path inlines one body, not a wrapper and a body. */
  read(event: PerfEvent): void | Promise<void> {
    const depth = this.calls.push(READ_FRAME);
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (read)');
      return this.io.updateForRead(event);
    } finally {
      this.calls.pop(depth);
    }
  }

  @kfunc('arm_cspmu_enable')
  pmuEnable(): void {
    if (this.counters.anyUsed()) this.base0.writel(PMCR_E, this.pmcr);
  }

  @kfunc('arm_cspmu_disable')
  pmuDisable(): void {
    this.base0.writel(0, this.pmcr);
  }

  // ------------------------------------------------------------ interrupt

  /** The overflow interrupt: stop, clear each PMOVSCLR word, fold and re-preload, restart. */
  @kfunc('arm_cspmu_handle_irq')
  handleIrq(): IrqReturn {
    const smp = this.kernel.smp;
    const prevCpu = smp.current;
    if (this.activeCpu >= 0) smp.current = this.activeCpu;
    try {
      if (this.shadow.freedBy !== null) {
        this.shadow.report('arm_cspmu (interrupt handler)');
        return IRQ_NONE;
      }
      return this.overflow.handle();
    } finally {
      smp.current = prevCpu;
    }
  }

  /** The irq thread, woken when the bus held the overflow status: wait for the bus to answer, then handle as the hard handler does. */
  handleIrqThread(): Promise<IrqReturn> {
    return this.calls.runAsync(['irq_thread', 'irq_thread_fn'], async () => {
      let r: IrqReturn = IRQ_WAKE_THREAD;
      while (r === IRQ_WAKE_THREAD) r = await this.overflow.busReady().then(() => this.handleIrq());
      return r;
    });
  }
  /** Closed forms: k more interrupts identical to the last (OverflowIrq.replay), and multiplexing cycles (rotation-replay.ts). */
  readonly replayIrq: OverflowIrq['replay'] = (k, reads) => this.shadow.freedBy === null && this.overflow.replay(k, reads);
  readonly replayRotations: Pmu['replayRotations'] = (plan) => replayRotations(this, plan);
}
