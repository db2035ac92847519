// The overflow interrupt of one instance: fold every overflowed counter into its event and preload it again, and replay identical interrupts in closed form.
import { IRQ_HANDLED, IRQ_NONE, IRQ_WAKE_THREAD, type IrqReplayReads, type IrqReturn } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { CounterIo } from './counter-io.js';
import type { CounterMap } from './counter-map.js';
import type { CspmuDevice } from './cspmu-device.js';
import './lifecycle.js';
import { PMCR_E, PMOVSCLR } from './regs.js';

export class OverflowIrq {
  /** Overflow status words read by the handler: made at the first interrupt, as most devices never take one. */
  private ovs: Uint32Array | undefined;
  /** The events the last interrupt folded, and the delta it added to each (for replay). */
  private readonly lastEvents: PerfEvent[] = [];
  private readonly lastDeltas: number[] = [];

  constructor(
    private readonly inst: CspmuDevice,
    private readonly counters: CounterMap,
    private readonly io: CounterIo,
  ) {}

  /**
   * Stop the PMU, clear each PMOVSCLR word, fold and re-preload each
   * overflowed counter, restart. A hard handler cannot wait: while the bus
   * holds the overflow status, the whole sequence is left to the irq thread.
   */
  handle(): IrqReturn {
    const inst = this.inst;
    if (inst.base1.stalledUntil(PMOVSCLR) !== 0) return IRQ_WAKE_THREAD;
    inst.base0.writel(0, inst.pmcr);
    let any = 0;
    const ovs = (this.ovs ??= new Uint32Array(inst.numSetClrReg));
    for (let i = 0; i < inst.numSetClrReg; i++) {
      const v = inst.base1.readl(PMOVSCLR + 4 * i);
      inst.base1.writel(v, PMOVSCLR + 4 * i);
      ovs[i] = v;
      any |= v;
    }
    let handled = false;
    this.lastEvents.length = 0;
    this.lastDeltas.length = 0;
    if (any !== 0) {
      for (let idx = 0; idx < inst.numLogicalCounters; idx++) {
        const e = this.counters.eventAt(idx);
        if (e === undefined) continue;
        const phys = this.counters.toPhys(idx);
        if (((ovs[phys >> 5]! >>> (phys & 31)) & 1) === 0) continue;
        const before = e.count;
        // A fold from the preload covers a whole period; after a read it covers only part of one.
        const whole = this.io.atPeriod(e);
        this.io.update(e);
        this.io.setPeriod(e);
        this.lastEvents.push(e);
        this.lastDeltas.push(whole ? e.count - before : NaN);
        handled = true;
        const lc = inst.kernel.lifecycle;
        if (lc.wants('cspmu:overflow')) lc.fire('cspmu:overflow', { device: inst.device, pmu: inst.name, counter: phys, event: e.id });
      }
    }
    inst.base0.writel(PMCR_E, inst.pmcr);
    return handled ? IRQ_HANDLED : IRQ_NONE;
  }

  /** Settles once the bus would answer a read of the overflow status at once. */
  busReady(): Promise<void> {
    return this.inst.base1.whenReady(PMOVSCLR);
  }

  /**
   * The next k interrupts will be identical to the last (the device says so):
   * apply them in closed form, each adding the same delta to the same events.
   * With `reads`, they differ only in what the one overflowed counter reads:
   * each of those values is folded from the preload as often as it is read.
   * Refused while anything watches MMIO (a kmmio observer or an rwmmio
   * tracepoint: both make the bus, which both pages are on, observed) or
   * listens for overflows (a listener, a recorder or the lifecycle
   * tracepoint), which must see each one. Nothing else records anything in
   * an interrupt: mmiotrace records only through kmmio probes (a bus
   * observer), and the handler calls through no call site.
   */
  replay(k: number, reads?: IrqReplayReads): boolean {
    const inst = this.inst;
    if (this.lastEvents.length === 0 || this.lastDeltas.some(Number.isNaN)) return false;
    if (inst.base0.observed || inst.kernel.lifecycle.wants('cspmu:overflow')) return false;
    if (reads !== undefined) {
      const e = this.lastEvents[0]!;
      if (this.lastEvents.length !== 1 || e.hw.idx !== reads.source) return false;
      for (let i = 0; i < reads.values.length; i++) e.count += reads.counts[i]! * this.io.deltaFromPeriod(reads.values[i]!);
      return true;
    }
    for (let i = 0; i < this.lastEvents.length; i++) this.lastEvents[i]!.count += k * this.lastDeltas[i]!;
    return true;
  }
}
