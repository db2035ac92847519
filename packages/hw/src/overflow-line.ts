// The PMU's overflow interrupt line: asserted while any overflow bit with its interrupt enabled is set.
import type { IrqController } from '@cspmu/kernel';
import { REG } from './cspmu-regs.js';

/**
 * Drives a PMU's overflow IRQ from its overflow status and interrupt
 * enables. The line follows PMOVS AND PMINTENSET (PMCR.E does not gate it),
 * and moves only on a change of level, so driving it twice raises it once.
 */
export class OverflowLine {
  private asserted = false;
  /** Where PMOVSCLR and PMINTENSET begin, as fields: an imported constant costs V8 a hole and a map check per use. */
  private readonly ovsWord = REG.PMOVSCLR >> 2;
  private readonly intenWord = REG.PMINTENSET >> 2;
  /** An overflow bit was set since the line was last driven. */
  private stale = false;

  constructor(
    private readonly irqs: IrqController | undefined,
    private readonly irq: number | undefined,
    /** The bank holding PMOVSCLR (page 1 on a dual-page PMU). */
    private readonly overflowWords: Uint32Array,
    /** The bank holding PMINTENSET (page 0). */
    private readonly configWords: Uint32Array,
    private readonly setClrRegs: number,
  ) {}

  get isAsserted(): boolean {
    return this.asserted;
  }

  /** An overflow bit was just set: the line must be driven before the access that set it completes. */
  overflowSet(): void {
    this.stale = true;
  }

  /**
   * Drive the line if a bit was set since it was last driven. A write whose
   * fold finds a counter wrapping at that instant sets the bit, and its
   * restart cancels the timer that would have driven the line: the write
   * calls this once its restarts are done (not mid-fold, where the handler's
   * accesses would interleave with the write's own).
   */
  driveIfStale(): void {
    if (this.stale) this.drive();
  }

  drive(): void {
    this.stale = false;
    const { irqs, irq } = this;
    if (!irqs || irq === undefined) return;
    let level = false;
    const ovs = this.overflowWords;
    const inten = this.configWords;
    for (let r = 0; r < this.setClrRegs && !level; r++) level = (ovs[this.ovsWord + r]! & inten[this.intenWord + r]!) !== 0;
    if (level && !this.asserted) {
      this.asserted = true;
      irqs.raise(irq);
    } else if (!level && this.asserted) {
      this.asserted = false;
      irqs.lower(irq);
    }
  }
}
