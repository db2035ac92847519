import { formatCpuList, IRQ_HANDLED, IRQ_NONE, kerr, type IrqReturn, type Kernel, type ModuleHandle, type Refcount } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import {
  PERF_EF_RELOAD,
  PERF_EF_START,
  PERF_EF_UPDATE,
  PERF_HES_STOPPED,
  PERF_HES_UPTODATE,
  PERF_PMU_CAP_NO_EXCLUDE,
  PERF_PMU_CAP_NO_INTERRUPT,
  isSampling,
  type AttributeGroup,
  type PerfEvent,
  type Pmu,
  type PmuAttribute,
} from '@cspmu/perf';
import type { ApmtInfo, BackendOps, CspmuInstance, RegisteredBackend } from './backend-api.js';
import type { BackendCallSites } from './sites.js';
import {
  CYCLE_CNTR_IDX_NONE,
  CYCLE_CNTR_PHYS,
  PMCCFILTR,
  PMCNTENCLR,
  PMCNTENSET,
  PMCR,
  PMCR_E,
  PMEVFILT2R,
  PMEVFILTR,
  PMEVTYPER,
  PMINTENCLR,
  PMINTENSET,
  PMOVSCLR,
} from './regs.js';

const TWO32 = 4294967296;
const EAGAIN = -11;
const ENOENT = -2;

/** Interned function names, so rwmmio traces and UAF reports name the driver function. */
export interface DriverFns {
  readonly eventInit: number;
  readonly add: number;
  readonly del: number;
  readonly start: number;
  readonly stop: number;
  readonly read: number;
  readonly update: number;
  readonly readCounter: number;
  readonly writeCounter: number;
  readonly enable: number;
  readonly disable: number;
  readonly handleIrq: number;
  readonly setEvFilter: number;
  readonly setCcFilter: number;
}

export function internDriverFns(kernel: Kernel): DriverFns {
  const f = (n: string) => kernel.calls.intern(n);
  return {
    eventInit: f('arm_cspmu_event_init'),
    add: f('arm_cspmu_add'),
    del: f('arm_cspmu_del'),
    start: f('arm_cspmu_start'),
    stop: f('arm_cspmu_stop'),
    read: f('arm_cspmu_read'),
    update: f('arm_cspmu_event_update'),
    readCounter: f('arm_cspmu_read_counter'),
    writeCounter: f('arm_cspmu_write_counter'),
    enable: f('arm_cspmu_enable'),
    disable: f('arm_cspmu_disable'),
    handleIrq: f('arm_cspmu_handle_irq'),
    setEvFilter: f('arm_cspmu_set_ev_filter'),
    setCcFilter: f('arm_cspmu_set_cc_filter'),
  };
}

/** What probe found out about the hardware, before the instance exists. */
export interface ProbedHardware {
  readonly device: string;
  readonly apmt: ApmtInfo | undefined;
  readonly base0: IoMem;
  readonly base1: IoMem;
  readonly hasAtomicDword: boolean;
  readonly pmcfgr: number;
  readonly irq: number;
  readonly associatedCpus: readonly number[];
  readonly socket: number;
}

/** Reports a use of a released instance (the use-after-free the reprobe design must make impossible). */
export type UafReporter = (device: string, what: string) => void;

/**
 * One CoreSight PMU instance: `struct arm_cspmu` and its `struct pmu`.
 * The perf callbacks follow the kernel's order of checks and register
 * writes exactly; the counter paths allocate nothing.
 */
export class ArmCspmu implements CspmuInstance, Pmu {
  type = -1;
  readonly taskCtxNr = 'invalid' as const;
  capabilities = PERF_PMU_CAP_NO_EXCLUDE;
  attrGroups: AttributeGroup[] = [];

  readonly device: string;
  readonly apmt: ApmtInfo | undefined;
  readonly base0: IoMem;
  readonly base1: IoMem;
  readonly hasAtomicDword: boolean;
  readonly irq: number;
  readonly associatedCpus: readonly number[];
  readonly socket: number;
  readonly numLogicalCounters: number;
  readonly hasCycleCounter: boolean;
  readonly cycleCounterLogicalIdx: number;
  readonly numSetClrReg: number;
  readonly counterBits: number;
  pmiidr = 0;
  name = '';
  identifier = '';
  activeCpu = -1;
  ctx: unknown = undefined;

  /** The backend in use (undefined: the core's built-in generic ops). */
  impl: RegisteredBackend | undefined;
  ops!: Required<BackendOps>;
  /** Per-instance refcount: 1 for the binding, +1 per event from event_init to destroy. */
  readonly refs: Refcount;
  reprobePending = false;
  /** Set when the binding is released; any later use is a use-after-free. */
  released = false;

  private readonly events: (PerfEvent | undefined)[];
  private readonly used = new Uint32Array(8);
  /** The counter map group validation tries the group against. */
  private readonly fake = new Uint32Array(8);
  /** Overflow status words read by the interrupt handler. */
  private readonly ovs = new Uint32Array(8);
  private readonly pair = new Uint32Array(2);
  private readonly periodLo: number;
  private readonly periodHi: number;
  private readonly wide: boolean;
  private warnedAdd = false;
  /** Why the backend's validate_event last refused an event (for the EINVAL message). */
  private lastRefusal = '';

  constructor(
    readonly kernel: Kernel,
    hw: ProbedHardware,
    private readonly fns: DriverFns,
    private readonly reportUaf: UafReporter,
    /** Called when the last event's reference is dropped. */
    private readonly onIdle: (inst: ArmCspmu) => void,
    readonly uniqueName: (base: string) => string,
    private readonly sites: BackendCallSites,
  ) {
    this.device = hw.device;
    this.apmt = hw.apmt;
    this.base0 = hw.base0;
    this.base1 = hw.base1;
    this.hasAtomicDword = hw.hasAtomicDword;
    this.irq = hw.irq;
    this.associatedCpus = hw.associatedCpus;
    this.socket = hw.socket;
    const n = (hw.pmcfgr & 0xff) + 1;
    this.numLogicalCounters = n;
    this.hasCycleCounter = (hw.pmcfgr & (1 << 14)) !== 0;
    this.cycleCounterLogicalIdx = this.hasCycleCounter ? (n <= CYCLE_CNTR_PHYS ? n - 1 : CYCLE_CNTR_PHYS) : CYCLE_CNTR_IDX_NONE;
    this.numSetClrReg = Math.ceil(n / 32);
    this.counterBits = ((hw.pmcfgr >> 8) & 0x3f) + 1;
    this.wide = this.counterBits > 32;
    if (this.counterBits > 32) {
      this.periodLo = 0xffffffff;
      this.periodHi = 2 ** (this.counterBits - 33) - 1;
    } else {
      this.periodLo = 2 ** (this.counterBits - 1) - 1;
      this.periodHi = 0;
    }
    this.events = new Array<PerfEvent | undefined>(n).fill(undefined);
    this.refs = kernel.refcount(`arm_cspmu:${hw.device}`, 1);
    if (this.irq === 0) this.capabilities |= PERF_PMU_CAP_NO_INTERRUPT;
  }

  /** pmu->module: the backend's module, or undefined for the core. Reading it after release is a use-after-free. */
  get module(): ModuleHandle | undefined {
    if (this.released) this.reportUaf(this.device, 'pmu->module read after the instance was released');
    return this.impl?.module;
  }

  /** True while no event holds the instance. */
  get idle(): boolean {
    return this.refs.count <= 1;
  }

  // ------------------------------------------------------------ backend helpers

  eventAt(logical: number): PerfEvent | undefined {
    return this.events[logical];
  }

  usedCounters(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.numLogicalCounters; i++) if ((this.used[i >> 5]! >>> (i & 31)) & 1) out.push(i);
    return out;
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

  // ------------------------------------------------------------ sysfs

  /** Build the events, format and identity attribute groups from the ops. */
  buildAttrGroups(): void {
    const evAttrs: PmuAttribute[] = [];
    const visibleEvents = this.sites.getEventAttrs(this).filter((a) => this.ops.eventAttrIsVisible(this, a, 'events'));
    for (const a of visibleEvents) {
      evAttrs.push({ name: a.name, show: () => `event=0x${a.event.toString(16)}${a.extraTerms ? `,${a.extraTerms}` : ''}\n` });
      if (a.scale !== undefined) evAttrs.push({ name: `${a.name}.scale`, show: () => `${a.scale}\n` });
      if (a.unit !== undefined) evAttrs.push({ name: `${a.name}.unit`, show: () => `${a.unit}\n` });
    }
    const fmtAttrs = this.sites
      .getFormatAttrs(this)
      .filter((f) => this.ops.eventAttrIsVisible(this, f, 'format'))
      .map((f): PmuAttribute => ({ name: f.name, show: () => `${f.format}\n` }));
    this.attrGroups = [
      { name: 'events', attrs: evAttrs },
      { name: 'format', attrs: fmtAttrs },
      {
        attrs: [
          { name: 'identifier', show: () => `${this.identifier}\n` },
          { name: 'cpumask', show: () => `${this.activeCpu >= 0 ? formatCpuList([this.activeCpu]) : ''}\n` },
          { name: 'associated_cpus', show: () => `${formatCpuList(this.associatedCpus)}\n` },
        ],
      },
    ];
  }

  // ------------------------------------------------------------ counter index rules

  private toPhys(logical: number): number {
    return logical === this.cycleCounterLogicalIdx ? CYCLE_CNTR_PHYS : logical;
  }

  private isCycle(event: PerfEvent): boolean {
    return this.hasCycleCounter && this.sites.isCycleCounterEvent(this, event);
  }

  /** get_event_idx on `used`: the logical counter for `event`, or a negative errno. */
  private getEventIdx(used: Uint32Array, event: PerfEvent): number {
    const test = (i: number) => (used[i >> 5]! >>> (i & 31)) & 1;
    let idx = -1;
    if (this.isCycle(event)) {
      const c = this.cycleCounterLogicalIdx;
      if (test(c)) return EAGAIN;
      used[c >> 5] = (used[c >> 5]! | (1 << (c & 31))) >>> 0;
      return c;
    }
    const limit = this.hasCycleCounter ? this.cycleCounterLogicalIdx : this.numLogicalCounters;
    for (let i = 0; i < limit; i++) {
      if (!test(i)) {
        idx = i;
        break;
      }
    }
    if (idx < 0 && this.hasCycleCounter) {
      for (let i = this.cycleCounterLogicalIdx + 1; i < this.numLogicalCounters; i++) {
        if (!test(i)) {
          idx = i;
          break;
        }
      }
    }
    if (idx < 0) return EAGAIN;
    try {
      this.sites.validateEvent(this, event);
    } catch (e) {
      this.lastRefusal = (e as { detail?: string; message?: string }).detail ?? String((e as Error).message);
      return -((e as { errno?: number }).errno ?? 22);
    }
    used[idx >> 5] = (used[idx >> 5]! | (1 << (idx & 31))) >>> 0;
    return idx;
  }

  private validateForGroup(event: PerfEvent): boolean {
    if (event.pmu.software) return true;
    if (event.pmu !== this) return false;
    return this.getEventIdx(this.fake, event) >= 0;
  }

  private validateGroup(event: PerfEvent): boolean {
    const leader = event.leader;
    if (leader === event) return true;
    this.fake.fill(0);
    if (!this.validateForGroup(leader)) return false;
    for (const s of leader.siblings) if (!this.validateForGroup(s)) return false;
    return this.validateForGroup(event);
  }

  // ------------------------------------------------------------ perf callbacks

  eventInit(event: PerfEvent): void {
    const d = this.kernel.calls.push(this.fns.eventInit);
    try {
      if (this.released) this.reportUaf(this.device, 'event_init on a released instance');
      if (event.attr.type !== this.type) throw kerr('ENOENT', `type ${event.attr.type} is not ${this.name}'s (${this.type})`);
      if (isSampling(event.attr)) throw kerr('EOPNOTSUPP', `${this.name} does not support sampling; count instead (perf stat)`);
      if (event.cpu < 0) throw kerr('EINVAL', `${this.name} is an uncore PMU: per-task events are not supported; count system-wide (-a)`);
      if (!this.associatedCpus.includes(event.cpu)) {
        throw kerr('EINVAL', `cpu ${event.cpu} is not associated with ${this.name} (associated_cpus ${formatCpuList(this.associatedCpus)})`);
      }
      if (this.activeCpu < 0) throw kerr('EINVAL', `${this.name} has no online CPU to count on`);
      event.cpu = this.activeCpu;
      this.lastRefusal = '';
      if (!this.validateGroup(event)) {
        throw kerr('EINVAL', this.lastRefusal ? `${this.name} refused the group: ${this.lastRefusal}` : `the group does not fit ${this.name}'s counters or mixes PMUs`);
      }
      event.hw.idx = -1;
      event.hw.extraIdx = -1;
      event.hw.config = this.sites.eventType(this, event) >>> 0;
      this.refs.inc();
      event.destroy = (e) => this.destroy(e);
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  /** event->destroy: drop the instance reference. Never reprobes from here: that is queued work. */
  private destroy(_event: PerfEvent): void {
    this.refs.decAndTest();
    if (this.idle) this.onIdle(this);
  }

  add(event: PerfEvent, flags: number): number {
    const d = this.kernel.calls.push(this.fns.add);
    try {
      if (this.released) this.reportUaf(this.device, 'add on a released instance');
      if (!this.associatedCpus.includes(this.kernel.smp.current)) {
        if (!this.warnedAdd) {
          this.warnedAdd = true;
          this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: add on cpu ${this.kernel.smp.current}, which is not associated`);
        }
        return ENOENT;
      }
      const idx = this.getEventIdx(this.used, event);
      if (idx < 0) return idx;
      this.events[idx] = event;
      event.hw.idx = this.toPhys(idx);
      event.hw.extraIdx = idx;
      event.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
      if (flags & PERF_EF_START) this.start(event, PERF_EF_RELOAD);
      return 0;
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  del(event: PerfEvent, _flags: number): void {
    const d = this.kernel.calls.push(this.fns.del);
    try {
      this.stop(event, PERF_EF_UPDATE);
      const idx = event.hw.extraIdx;
      this.events[idx] = undefined;
      this.used[idx >> 5] = (this.used[idx >> 5]! & ~(1 << (idx & 31))) >>> 0;
      event.hw.idx = -1;
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  start(event: PerfEvent, flags: number): void {
    const d = this.kernel.calls.push(this.fns.start);
    try {
      if (flags & PERF_EF_RELOAD && !(event.hw.state & PERF_HES_UPTODATE)) {
        this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: reload of an out-of-date event`);
      }
      this.setPeriod(event);
      const phys = event.hw.idx;
      if (event.hw.extraIdx === this.cycleCounterLogicalIdx) {
        const f = this.kernel.calls.push(this.fns.setCcFilter);
        this.sites.setCcFilter(this, event);
        this.kernel.calls.pop(f);
      } else {
        this.base0.writel(event.hw.config, PMEVTYPER + 4 * phys);
        const f = this.kernel.calls.push(this.fns.setEvFilter);
        this.sites.setEvFilter(this, event);
        this.kernel.calls.pop(f);
      }
      event.hw.state = 0;
      const reg = 4 * (phys >> 5);
      const bit = (1 << (phys & 31)) >>> 0;
      this.base0.writel(bit, PMINTENSET + reg);
      this.base0.writel(bit, PMCNTENSET + reg);
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  stop(event: PerfEvent, _flags: number): void {
    if (event.hw.state & PERF_HES_STOPPED) return;
    const d = this.kernel.calls.push(this.fns.stop);
    try {
      const phys = event.hw.idx;
      const reg = 4 * (phys >> 5);
      const bit = (1 << (phys & 31)) >>> 0;
      this.base0.writel(bit, PMCNTENCLR + reg);
      this.base0.writel(bit, PMINTENCLR + reg);
      this.sites.resetEvFilter(this, event);
      this.update(event);
      event.hw.state |= PERF_HES_STOPPED | PERF_HES_UPTODATE;
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  read(event: PerfEvent): void {
    const d = this.kernel.calls.push(this.fns.read);
    try {
      this.update(event);
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  pmuEnable(): void {
    const d = this.kernel.calls.push(this.fns.enable);
    try {
      for (let i = 0; i < this.numSetClrReg; i++) {
        if (this.used[i] !== 0) {
          this.base0.writel(PMCR_E, PMCR);
          return;
        }
      }
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  pmuDisable(): void {
    const d = this.kernel.calls.push(this.fns.disable);
    try {
      this.base0.writel(0, PMCR);
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  // ------------------------------------------------------------ counters

  /** Fold the hardware delta since the last read into event.count. */
  private update(event: PerfEvent): void {
    const d = this.kernel.calls.push(this.fns.update);
    try {
      const prevLo = event.hw.prevLo;
      const prevHi = event.hw.prevHi;
      this.readCounter(event.hw.idx);
      const nowLo = this.pair[0]!;
      const nowHi = this.pair[1]!;
      event.hw.prevLo = nowLo;
      event.hw.prevHi = nowHi;
      let dLo = nowLo - prevLo;
      let dHi = nowHi - prevHi;
      if (dLo < 0) {
        dLo += TWO32;
        dHi -= 1;
      }
      if (this.wide) {
        const span = 2 ** (this.counterBits - 32);
        if (dHi < 0) dHi += span;
        event.count += dHi * TWO32 + dLo;
      } else {
        const span = 2 ** this.counterBits;
        const delta = dLo + (dHi < 0 ? span : 0);
        event.count += delta >= span ? delta - span : delta;
      }
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  /** Read a counter into `pair` (lo, hi): readl, readq, or the hi-lo-hi sequence. */
  private readCounter(phys: number): void {
    const d = this.kernel.calls.push(this.fns.readCounter);
    try {
      if (!this.wide) {
        this.pair[0] = this.base1.readl(4 * phys);
        this.pair[1] = 0;
      } else if (this.hasAtomicDword) {
        this.base1.readqInto(8 * phys, this.pair);
      } else if (!this.base1.readqHiLoHi(8 * phys, this.pair)) {
        this.kernel.log.warn('arm_cspmu', 'ARM CSPMU: timeout hi-low-high sequence');
      }
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  private writeCounter(phys: number, lo: number, hi: number): void {
    const d = this.kernel.calls.push(this.fns.writeCounter);
    try {
      if (!this.wide) this.base1.writel(lo, 4 * phys);
      else if (this.hasAtomicDword) this.base1.writeqParts(lo, hi, 8 * phys);
      else {
        this.base1.writel(lo, 8 * phys);
        this.base1.writel(hi, 8 * phys + 4);
      }
    } finally {
      this.kernel.calls.pop(d);
    }
  }

  /** Preload mask >> 1 so the counter overflows after about half its range. */
  private setPeriod(event: PerfEvent): void {
    event.hw.prevLo = this.periodLo;
    event.hw.prevHi = this.periodHi;
    this.writeCounter(event.hw.idx, this.periodLo, this.periodHi);
  }

  // ------------------------------------------------------------ interrupt

  /** The overflow interrupt: stop, clear each PMOVSCLR word, fold and re-preload, restart. */
  handleIrq(): IrqReturn {
    const smp = this.kernel.smp;
    const prevCpu = smp.current;
    if (this.activeCpu >= 0) smp.current = this.activeCpu;
    const d = this.kernel.calls.push(this.fns.handleIrq);
    try {
      if (this.released) {
        this.reportUaf(this.device, 'interrupt handler on a released instance');
        return IRQ_NONE;
      }
      this.base0.writel(0, PMCR);
      let any = 0;
      const ovs = this.ovs;
      for (let i = 0; i < this.numSetClrReg; i++) {
        const v = this.base1.readl(PMOVSCLR + 4 * i);
        this.base1.writel(v, PMOVSCLR + 4 * i);
        ovs[i] = v;
        any |= v;
      }
      let handled = false;
      if (any !== 0) {
        for (let idx = 0; idx < this.numLogicalCounters; idx++) {
          const e = this.events[idx];
          if (e === undefined) continue;
          const phys = this.toPhys(idx);
          if (((ovs[phys >> 5]! >>> (phys & 31)) & 1) === 0) continue;
          this.update(e);
          this.setPeriod(e);
          handled = true;
        }
      }
      this.base0.writel(PMCR_E, PMCR);
      return handled ? IRQ_HANDLED : IRQ_NONE;
    } finally {
      this.kernel.calls.pop(d);
      smp.current = prevCpu;
    }
  }

  /** Called by probe's cleanup when the binding goes: any later use is reported. */
  poison(): void {
    this.released = true;
  }

  get inUseCount(): number {
    return this.refs.count - 1;
  }
}

