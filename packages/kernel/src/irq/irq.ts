// The interrupt controller: IRQ lines (level and edge), handlers, spurious-interrupt accounting and closed-form replays.
import { kerr } from '../base/errors.js';
import type { KernelLog } from '../base/log.js';

export const IRQ_NONE = 0;
export const IRQ_HANDLED = 1;
export type IrqReturn = typeof IRQ_NONE | typeof IRQ_HANDLED;

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

/** Apply `k` more deliveries identical to the last one, in closed form; false if the handler cannot. */
export type IrqReplay = (k: number) => boolean;

class IrqLine {
  handler: IrqHandler | undefined;
  replay: IrqReplay | undefined;
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
  ) {}
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
  request(irq: number, handler: IrqHandler, owner: string, replay?: IrqReplay): void {
    const line = this.line(irq);
    if (typeof handler !== 'function') throw kerr('EINVAL', `request of irq ${irq}: handler must be a function`);
    if (replay !== undefined && typeof replay !== 'function') throw kerr('EINVAL', `request of irq ${irq}: replay must be a function`);
    if (line.handler) throw kerr('EBUSY', `irq ${irq} is already requested by '${line.owner}'; lines are not shared`);
    line.handler = handler;
    line.replay = replay;
    line.owner = owner;
    line.disabled = false;
    if (line.asserted && line.trigger === 'level') this.deliver(line);
  }

  free(irq: number): void {
    const line = this.line(irq);
    if (!line.handler) throw kerr('EINVAL', `free of irq ${irq}, which is not requested`);
    line.handler = undefined;
    line.replay = undefined;
    line.owner = '';
  }

  /**
   * Device side: `k` more interrupts, each identical to the one just
   * delivered and handled, are due before anything else happens. If the
   * handler can apply them in closed form they are counted as delivered and
   * true is returned; otherwise the device must raise them one by one.
   */
  replayDeliveries(irq: number, k: number): boolean {
    const line = this.line(irq);
    if (!Number.isSafeInteger(k) || k < 1) throw kerr('EINVAL', `irq ${irq}: a replay needs a positive count, got ${k}`);
    if (!line.replay || !line.handler || line.disabled || line.asserted || line.inHandler || this.localDisabled > 0) return false;
    if (!line.replay(k)) return false;
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
      if (line.inHandler) {
        line.pendingEdge = true;
        return;
      }
      this.deliver(line);
    } else if (!line.inHandler) {
      this.deliver(line);
    }
  }

  /** Device side: deassert the line. */
  lower(irq: number): void {
    this.line(irq).asserted = false;
  }

  private deliver(line: IrqLine): void {
    let spins = 0;
    for (;;) {
      if (line.disabled) return;
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
