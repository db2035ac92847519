// The perf callbacks of one CoreSight PMU instance (its struct pmu), in the kernel's order of checks and register writes, and its overflow interrupt.
import { formatCpuList, IRQ_NONE, IRQ_WAKE_THREAD, type IrqReturn, type KernelError, kernelFunction, kerr, kfunc } from '@cspmu/kernel';
import type { PerfEvent, Pmu } from '@cspmu/perf';
import * as perf from '@cspmu/perf';
import { CspmuDevice } from './cspmu-device.js';
import * as ext64 from './ext64.js';
import type { OverflowIrq } from './overflow-irq.js';
import * as regs from './regs.js';
import { replayRotations } from './rotation-replay.js';
import { eventOps } from './sites.js';

export type { ProbedHardware } from './cspmu-device.js';

const ENOENT = -2;

/*
 * Module-local copies of what the callbacks use on every open and close: V8
 * folds a module's own consts into optimised code as constants, but reads an
 * imported binding from its cell, with a TDZ check, at each use (and then
 * knows nothing of its value, so the checks of the accessor it reaches stay).
 */
const { isSampling, PERF_EF_RELOAD, PERF_EF_START, PERF_EF_UPDATE, PERF_HES_STOPPED, PERF_HES_UPTODATE } = perf;
const { PMCNTENCLR, PMCNTENSET, PMCR_E, PMINTENCLR, PMINTENSET } = regs;
const { eventType, setCcFilter, setEvFilter, resetEvFilter } = eventOps;
const { splitEventType, writeEventType } = ext64;

/**
 * The perf callbacks' frames, pushed by the callbacks themselves rather than
 * by @kfunc: the core calls them through its patchable call sites, where the
 * callee is not a known closure, and there @kfunc's shared wrapper costs a
 * second unknown call (wrapper, then body) on every open and close. Each
 * callback pops its frame on return, and on a throw in a catch that
 * rethrows: what a finally does, without the bookkeeping V8 runs on every
 * normal exit from a finally (the pending message and the completion kind).
 */
const EVENT_INIT = kernelFunction('arm_cspmu_event_init').id;
const EVENT_DESTROY = kernelFunction('arm_cspmu_event_destroy').id;
const ADD = kernelFunction('arm_cspmu_add').id;
const DEL = kernelFunction('arm_cspmu_del').id;
const START = kernelFunction('arm_cspmu_start').id;
const STOP = kernelFunction('arm_cspmu_stop').id;
const ENABLE = kernelFunction('arm_cspmu_enable').id;
const DISABLE = kernelFunction('arm_cspmu_disable').id;
const READ = kernelFunction('arm_cspmu_read').id;
/** event->destroy of every arm_cspmu event: the instance is the event's PMU (one function, nothing made per open). */
const destroyEvent = (event: PerfEvent): void | Promise<void> => (event.pmu as ArmCspmu).destroy(event);

/**
 * One CoreSight PMU instance: `struct arm_cspmu` and its `struct pmu`. The
 * perf callbacks follow the kernel's order of checks and register writes
 * exactly; the counter paths allocate nothing. What the instance is (its
 * hardware, counter map and counter I/O) is CspmuDevice's.
 */
export class ArmCspmu extends CspmuDevice implements Pmu {
  private warnedAdd = false;

  // ------------------------------------------------------------ perf callbacks

  eventInit(event: PerfEvent): void {
    const calls = this.calls;
    const depth = calls.push(EVENT_INIT);
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (event_init)');
      const attr = event.attr;
      const cpu = event.cpu;
      // Every check an event this PMU takes passes, in one test (a negative cpu is not associated either); which one
      // refused, and its errno, is worked out apart.
      if (attr.type !== this.type || this.reprobing || isSampling(attr) || event.task !== -1 || this.associated[cpu] !== 1 || this.activeCpu < 0) {
        throw this.eventInitRefusal(event);
      }
      event.cpu = this.activeCpu;
      if (event.leader !== event) this.checkGroupFits(event);
      event.hw.idx = -1;
      event.hw.extraIdx = -1;
      splitEventType(event.hw, eventType(this.sites, this, event));
      this.refs.inc();
      event.destroy = destroyEvent;
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
  }

  /** Why event_init refuses `event`: its checks in the kernel's order, each with its errno. */
  private eventInitRefusal(event: PerfEvent): KernelError {
    if (event.attr.type !== this.type) return kerr('ENOENT', `type ${event.attr.type} is not ${this.name}'s (${this.type})`);
    if (this.reprobing) return kerr('EBUSY', `${this.name} is being reprobed into another backend; open the event again once it is back`);
    if (isSampling(event.attr)) return kerr('EOPNOTSUPP', `${this.name} does not support sampling; count instead (perf stat)`);
    if (event.cpu < 0 || event.task !== -1) return kerr('EINVAL', `${this.name} is an uncore PMU: per-task events are not supported; count system-wide (-a)`);
    if (this.associated[event.cpu] !== 1) {
      return kerr('EINVAL', `cpu ${event.cpu} is not associated with ${this.name} (associated_cpus ${formatCpuList(this.associatedCpus)})`);
    }
    return kerr('EINVAL', `${this.name} has no online CPU to count on`);
  }

  /** The group an event joins must fit this PMU's counters, tried on a scratch map (a lone event always fits). */
  private checkGroupFits(event: PerfEvent): void {
    this.counters.lastRefusal = '';
    if (!this.counters.fitsGroup(event, this)) {
      throw kerr(
        'EINVAL',
        this.counters.lastRefusal
          ? `${this.name} refused the group: ${this.counters.lastRefusal}`
          : `the group does not fit ${this.name}'s counters or mixes PMUs`,
      );
    }
  }

  /** event->destroy: drop the instance reference; the last one lets a pending reprobe go (as queued work). */
  destroy(_event: PerfEvent): void | Promise<void> {
    const calls = this.calls;
    const depth = calls.push(EVENT_DESTROY);
    let idle: void | Promise<void>;
    try {
      this.refs.decAndTest();
      // Going idle matters only to a reprobe that waits for it: every other close skips the hook's call.
      idle = this.reprobePending && this.idle ? this.onIdle(this) : undefined;
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
    return idle;
  }

  add(event: PerfEvent, flags: number): number {
    const calls = this.calls;
    const depth = calls.push(ADD);
    let ret = 0;
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (add)');
      if (this.associated[this.kernel.smp.current] !== 1) ret = this.addOnOtherCpu();
      else {
        const idx = this.counters.allocate(this.counters.used, event);
        if (idx < 0) ret = idx;
        else {
          this.counters.install(idx, event);
          event.hw.idx = this.counters.toPhys(idx);
          event.hw.extraIdx = idx;
          event.hw.state = PERF_HES_STOPPED | PERF_HES_UPTODATE;
          if (flags & PERF_EF_START) this.start(event, PERF_EF_RELOAD);
        }
      }
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
    return ret;
  }

  /** add on a CPU the PMU is not associated with: warned once, ENOENT. */
  private addOnOtherCpu(): number {
    if (!this.warnedAdd) {
      this.warnedAdd = true;
      this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: add on cpu ${this.kernel.smp.current}, which is not associated`);
    }
    return ENOENT;
  }

  del(event: PerfEvent, _flags: number): void {
    const calls = this.calls;
    const depth = calls.push(DEL);
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (del)');
      this.stop(event, PERF_EF_UPDATE);
      this.counters.release(event.hw.extraIdx);
      event.hw.idx = -1;
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
  }

  start(event: PerfEvent, flags: number): void {
    const calls = this.calls;
    const depth = calls.push(START);
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (start)');
      if (flags & PERF_EF_RELOAD && !(event.hw.state & PERF_HES_UPTODATE)) this.warnStaleReload();
      this.io.setPeriod(event);
      const phys = event.hw.idx;
      if (event.hw.extraIdx === this.cycleCounterLogicalIdx) {
        setCcFilter(this.sites, this, event);
      } else {
        writeEventType(this.base0, this.ext64, phys, event.hw.config, event.hw.configHi);
        setEvFilter(this.sites, this, event);
      }
      event.hw.state = 0;
      const reg = 4 * (phys >> 5);
      const bit = (1 << (phys & 31)) >>> 0;
      this.base0.writel(bit, PMINTENSET + reg);
      this.base0.writel(bit, PMCNTENSET + reg);
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
  }

  private warnStaleReload(): void {
    this.kernel.log.warn('arm_cspmu', `WARNING: ${this.name}: reload of an out-of-date event`);
  }

  stop(event: PerfEvent, _flags: number): void {
    if (event.hw.state & PERF_HES_STOPPED) return;
    const calls = this.calls;
    const depth = calls.push(STOP);
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (stop)');
      const phys = event.hw.idx;
      const reg = 4 * (phys >> 5);
      const bit = (1 << (phys & 31)) >>> 0;
      this.base0.writel(bit, PMCNTENCLR + reg);
      this.base0.writel(bit, PMINTENCLR + reg);
      resetEvFilter(this.sites, this, event);
      this.io.update(event);
      event.hw.state |= PERF_HES_STOPPED | PERF_HES_UPTODATE;
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
  }

  /** pmu->read (from a reader that may sleep, a promise when the counter read must wait). Its frame is pushed here too: the pop that drops it drops the update's (CounterIo.updateForRead), and the read path inlines one body, not a wrapper and a body. */
  read(event: PerfEvent): void | Promise<void> {
    const calls = this.calls;
    const depth = calls.push(READ);
    let later: void | Promise<void>;
    try {
      if (this.shadow.freedBy !== null) this.shadow.report('arm_cspmu (read)');
      later = this.io.updateForRead(event);
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
    return later;
  }

  pmuEnable(): void {
    const calls = this.calls;
    const depth = calls.push(ENABLE);
    try {
      if (this.counters.anyUsed()) this.base0.writel(PMCR_E, this.pmcr);
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
  }

  pmuDisable(): void {
    const calls = this.calls;
    const depth = calls.push(DISABLE);
    try {
      this.base0.writel(0, this.pmcr);
    } catch (e) {
      calls.pop(depth);
      throw e;
    }
    calls.pop(depth);
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
