// The interrupt controller: IRQ lines (level and edge), handlers, spurious-interrupt accounting and closed-form replays.
import { kerr } from '../base/errors.js';
import type { KernelLog } from '../base/log.js';
import { Srcu } from '../rcu/srcu.js';

export const IRQ_NONE = 0;
export const IRQ_HANDLED = 1;
/** From a hard handler: the rest must sleep; run the line's thread function (the line stays masked until it returns). */
export const IRQ_WAKE_THREAD = 2;
export type IrqReturn = typeof IRQ_NONE | typeof IRQ_HANDLED | typeof IRQ_WAKE_THREAD;
/** A threaded handler (request_threaded_irq's thread_fn): may sleep. */
export type IrqThreadFn = (irq: number) => IrqReturn | Promise<IrqReturn>;

export type IrqTrigger = 'level' | 'edge';
export type IrqHandler = (irq: number) => IrqReturn;

export interface IrqStats {
  /** Deliveries to the handler. */
  delivered: number;
  handled: number;
  /** Deliveries the handler answered with IRQ_NONE. */
  spurious: number;
  /** Assertions that found no handler: counted, never lost silently. */
  unhandled: number;
}

/**
 * How replayed deliveries may differ from the last one: only in the value
 * the handler reads from one of the device's registers (`source`, as the
 * device and its driver number them), which is `values[i]` in `counts[i]`
 * of them, in an order that changes nothing. The kernel only checks the
 * shape and passes it on.
 */
export interface IrqReplayReads {
  readonly source: number;
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** Apply `k` more deliveries identical to the last one (but for `reads`, if given), in closed form; false if the handler cannot. */
export type IrqReplay = (k: number, reads?: IrqReplayReads) => boolean;

class IrqLine {
  handler: IrqHandler | undefined;
  replay: IrqReplay | undefined;
  thread: IrqThreadFn | undefined;
  /** The thread function is running: the line is masked (IRQF_ONESHOT) until it returns. */
  threadRunning = false;
  /** Running thread functions are readers of it; free() waits a grace period (synchronize_irq). */
  readonly threads: Srcu;
  owner = '';
  asserted = false;
  inHandler = false;
  pendingEdge = false;
  disabled = false;
  affinity = 0;
  readonly stats: IrqStats = { delivered: 0, handled: 0, spurious: 0, unhandled: 0 };
  constructor(
    readonly irq: number,
    readonly trigger: IrqTrigger,
  ) {
    this.threads = new Srcu(`irq/${irq}`);
  }
}

/** A replay's reads must say what the handler reads in each of the k deliveries. */
function checkReads(irq: number, k: number, reads: IrqReplayReads): void {
  const { source, values, counts } = reads;
  const ok =
    Number.isSafeInteger(source) &&
    source >= 0 &&
    Array.isArray(values) &&
    Array.isArray(counts) &&
    values.length === counts.length &&
    values.every((v) => Number.isSafeInteger(v) && v >= 0) &&
    counts.every((c) => Number.isSafeInteger(c) && c >= 0) &&
    counts.reduce((a, c) => a + c, 0) === k;
  if (!ok) throw kerr('EINVAL', `irq ${irq}: a replay's reads need a source, and one non-negative integer value per count, the counts adding up to ${k}`);
}

/** Consecutive IRQ_NONE answers on an asserted level line before it is disabled ("nobody cared"). */
export const SPURIOUS_LIMIT = 1000;

/**
 * Interrupt lines of the emulated machine (GSI numbers). Devices raise and
 * lower lines; drivers request them with a handler. A level line stays
 * asserted until the device lowers it and is redelivered while asserted; an
 * edge line delivers once per rising edge. Delivery never re-enters a
 * running handler: what arrives meanwhile is delivered after it returns.
 */
export class IrqController {
  private readonly lines = new Map<number, IrqLine>();
  private localDisabled = 0;
  private readonly pendingWhileDisabled = new Set<IrqLine>();
  private readonly running = new Set<Promise<void>>();
  /** Where an irq thread waits to be scheduled (the kernel's preemption point); set by the kernel. */
  sleep: (where: string) => Promise<void> = () => Promise.resolve();
  /** Runs an irq thread as a task of its own (no caller's call chain); set by the kernel. */
  spawn: (fn: () => Promise<void>) => Promise<void> = (fn) => fn();

  constructor(private readonly log: KernelLog) {}

  /** Register a line, as firmware (acpi_register_gsi) would. Returns the Linux irq number (= the GSI here). */
  registerLine(gsi: number, trigger: IrqTrigger): number {
    if (!Number.isInteger(gsi) || gsi <= 0 || gsi > 0xffff) throw kerr('EINVAL', `interrupt number must be 1..65535, got ${gsi}`);
    const existing = this.lines.get(gsi);
    if (existing) {
      if (existing.trigger !== trigger) {
        throw kerr('EINVAL', `GSI ${gsi} is registered ${existing.trigger}-triggered; cannot register it ${trigger}-triggered`);
      }
      return gsi;
    }
    this.lines.set(gsi, new IrqLine(gsi, trigger));
    return gsi;
  }

  has(irq: number): boolean {
    return this.lines.has(irq);
  }

  /**
   * request_irq. `replay`, if given, lets a device that knows its next `k`
   * interrupts would be identical to the last one have them accounted in
   * closed form (replayDeliveries) instead of delivered one by one.
   */
  request(irq: number, handler: IrqHandler, owner: string, replay?: IrqReplay, thread?: IrqThreadFn): void {
    const line = this.line(irq);
    if (typeof handler !== 'function') throw kerr('EINVAL', `request of irq ${irq}: handler must be a function`);
    if (replay !== undefined && typeof replay !== 'function') throw kerr('EINVAL', `request of irq ${irq}: replay must be a function`);
    if (thread !== undefined && typeof thread !== 'function') throw kerr('EINVAL', `request of irq ${irq}: thread must be a function`);
    if (line.handler) throw kerr('EBUSY', `irq ${irq} is already requested by '${line.owner}'; lines are not shared`);
    line.handler = handler;
    line.replay = replay;
    line.thread = thread;
    line.owner = owner;
    line.disabled = false;
    if (line.asserted && line.trigger === 'level') this.deliver(line);
  }

  /** free_irq: unhook the handlers at once; the promise settles once a thread function still running has returned (synchronize_irq). */
  free(irq: number): Promise<void> {
    const line = this.line(irq);
    if (!line.handler) throw kerr('EINVAL', `free of irq ${irq}, which is not requested`);
    line.handler = undefined;
    line.replay = undefined;
    line.thread = undefined;
    line.owner = '';
    return line.threads.synchronize();
  }

  /** Settles once no irq thread is running. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * Device side: `k` more interrupts, each identical to the one just
   * delivered and handled, are due before anything else happens. If the
   * handler can apply them in closed form they are counted as delivered and
   * true is returned; otherwise the device must raise them one by one.
   */
  replayDeliveries(irq: number, k: number, reads?: IrqReplayReads): boolean {
    const line = this.line(irq);
    if (!Number.isSafeInteger(k) || k < 1) throw kerr('EINVAL', `irq ${irq}: a replay needs a positive count, got ${k}`);
    if (reads !== undefined) checkReads(irq, k, reads);
    if (!line.replay || !line.handler || line.disabled || line.asserted || line.inHandler || line.threadRunning || this.localDisabled > 0) return false;
    if (!line.replay(k, reads)) return false;
    line.stats.delivered += k;
    line.stats.handled += k;
    return true;
  }

  setAffinity(irq: number, cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0) throw kerr('EINVAL', `irq ${irq}: affinity must be a CPU number, got ${cpu}`);
    this.line(irq).affinity = cpu;
  }

  affinity(irq: number): number {
    return this.line(irq).affinity;
  }

  owner(irq: number): string | undefined {
    return this.line(irq).handler ? this.line(irq).owner : undefined;
  }

  isAsserted(irq: number): boolean {
    return this.line(irq).asserted;
  }

  isDisabled(irq: number): boolean {
    return this.line(irq).disabled;
  }

  stats(irq: number): Readonly<IrqStats> {
    return this.line(irq).stats;
  }

  /** local_irq_disable: interrupts raised from now on are held until the matching enable. Nests. */
  disableLocal(): void {
    this.localDisabled++;
  }

  /** local_irq_enable: deliver what was raised meanwhile (a level line only if it is still asserted). */
  enableLocal(): void {
    if (this.localDisabled === 0) throw kerr('EINVAL', 'local interrupts enabled more often than disabled');
    if (--this.localDisabled > 0) return;
    const held = [...this.pendingWhileDisabled];
    this.pendingWhileDisabled.clear();
    for (const line of held) {
      if (line.trigger === 'level' ? line.asserted : line.pendingEdge) {
        line.pendingEdge = false;
        this.deliver(line);
      }
    }
  }

  get localIrqsDisabled(): boolean {
    return this.localDisabled > 0;
  }

  /** Device side: assert the line. */
  raise(irq: number): void {
    const line = this.line(irq);
    const rising = !line.asserted;
    line.asserted = true;
    if (this.localDisabled > 0) {
      if (line.trigger === 'level' || rising) {
        if (line.trigger === 'edge') line.pendingEdge = true;
        this.pendingWhileDisabled.add(line);
      }
      return;
    }
    if (line.trigger === 'edge') {
      if (!rising) return;
      if (line.inHandler || line.threadRunning) {
        line.pendingEdge = true;
        return;
      }
      this.deliver(line);
    } else if (!line.inHandler) {
      this.deliver(line);
    }
  }

  /**
   * Run the line's thread function as a task that may sleep, inside a read
   * section of the line's SRCU; the line stays masked until it returns, then
   * a level line still asserted is delivered again.
   */
  private wakeThread(line: IrqLine): void {
    const fn = line.thread!;
    const token = line.threads.readLock();
    line.threadRunning = true;
    const run = this.spawn(async () => {
      try {
        await this.sleep(`irq/${line.irq}-${line.owner}`);
        await fn(line.irq);
      } catch (e) {
        this.log.err('irq', `thread of irq ${line.irq} threw: ${(e as Error).message}`);
      } finally {
        line.threadRunning = false;
        line.threads.readUnlock(token);
      }
      const again = line.trigger === 'level' ? line.asserted : line.pendingEdge;
      if (!line.handler || !again) return;
      if (this.localDisabled > 0) this.pendingWhileDisabled.add(line);
      else {
        line.pendingEdge = false;
        this.deliver(line);
      }
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Device side: deassert the line. */
  lower(irq: number): void {
    this.line(irq).asserted = false;
  }

  private deliver(line: IrqLine): void {
    let spins = 0;
    for (;;) {
      if (line.disabled || line.threadRunning) return;
      const handler = line.handler;
      if (!handler) {
        line.stats.unhandled++;
        return;
      }
      line.inHandler = true;
      let ret: IrqReturn;
      try {
        ret = handler(line.irq);
      } catch (e) {
        line.inHandler = false;
        this.log.err('irq', `handler of irq ${line.irq} (${line.owner}) threw: ${(e as Error).message}`);
        ret = IRQ_NONE;
      }
      line.inHandler = false;
      line.stats.delivered++;
      if (ret === IRQ_WAKE_THREAD) {
        if (line.thread === undefined) {
          this.log.err('irq', `irq ${line.irq} (${line.owner}): the handler woke a thread the line was not requested with`);
          ret = IRQ_NONE;
        } else {
          line.stats.handled++;
          this.wakeThread(line);
          return;
        }
      }
      if (ret === IRQ_HANDLED) {
        line.stats.handled++;
        spins = 0;
      } else {
        line.stats.spurious++;
        spins++;
      }
      const again = line.trigger === 'level' ? line.asserted : line.pendingEdge;
      line.pendingEdge = false;
      if (!again) return;
      if (spins >= SPURIOUS_LIMIT) {
        line.disabled = true;
        this.log.err('irq', `irq ${line.irq}: nobody cared (${SPURIOUS_LIMIT} unhandled deliveries while asserted); disabling it`);
        return;
      }
    }
  }

  private line(irq: number): IrqLine {
    const line = this.lines.get(irq);
    if (!line) throw kerr('EINVAL', `irq ${irq} does not exist; firmware registers lines before drivers request them`);
    return line;
  }
}
