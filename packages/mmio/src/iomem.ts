// A driver's ioremapped range: the kernel's read/write accessors in every width and form, over IoMemBase's checks and traced paths.
import { badValue, IoMemBase } from './iomem-base.js';

/** How many hi-lo-hi attempts the kernel makes before giving up. */
export const HILOHI_MAX_POLL = 1000;

const TWO32 = 4294967296;

/**
 * A driver's view of an ioremapped range: the kernel's read/write accessors.
 * readX/writeX and their _relaxed forms are traced by rwmmio; the raw forms
 * are not. The checks and the traced 32- and 64-bit paths are IoMemBase's.
 */
export class IoMem extends IoMemBase {
  readl_relaxed(offset: number): number {
    return this.readl(offset);
  }

  writel_relaxed(value: number, offset: number): void {
    this.writel(value, offset);
  }

  // --- narrow accessors ---

  readb(offset: number): number {
    return this.narrowRead(offset, 1);
  }
  readw(offset: number): number {
    return this.narrowRead(offset, 2);
  }
  writeb(value: number, offset: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue('writeb', value, 'an integer number');
    this.narrowWrite(value & 0xff, offset, 1);
  }
  writew(value: number, offset: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue('writew', value, 'an integer number');
    this.narrowWrite(value & 0xffff, offset, 2);
  }
  readb_relaxed(offset: number): number {
    return this.readb(offset);
  }
  readw_relaxed(offset: number): number {
    return this.readw(offset);
  }
  writeb_relaxed(value: number, offset: number): void {
    this.writeb(value, offset);
  }
  writew_relaxed(value: number, offset: number): void {
    this.writew(value, offset);
  }

  /** readq as an exact bigint (convenience; not for hot paths). */
  readq(offset: number): bigint {
    this.readqInto(offset, this.pair);
    return (BigInt(this.pair[1]!) << 32n) | BigInt(this.pair[0]!);
  }

  writeq(value: bigint, offset: number): void {
    if (typeof value !== 'bigint') throw badValue('writeq', value, 'a bigint');
    const v = BigInt.asUintN(64, value);
    this.writeqParts(Number(v & 0xffffffffn), Number(v >> 32n), offset);
  }

  readq_relaxed(offset: number): bigint {
    return this.readq(offset);
  }

  writeq_relaxed(value: bigint, offset: number): void {
    this.writeq(value, offset);
  }

  /** lo_hi_writeq: two traced 32-bit writes, low word first. */
  loHiWriteq(lo: number, hi: number, offset: number): void {
    this.writel(lo, offset);
    this.writel(hi, offset + 4);
  }

  /**
   * Read a 64-bit register as hi, lo, hi with traced 32-bit reads, retrying
   * until both high reads agree. Returns false (and zeros) after `maxPoll`
   * attempts, as the kernel's helper does.
   */
  readqHiLoHi(offset: number, out: Uint32Array, maxPoll = HILOHI_MAX_POLL): boolean {
    for (let i = 0; i < maxPoll; i++) {
      const hi = this.readl(offset + 4);
      const lo = this.readl(offset);
      if (this.readl(offset + 4) === hi) {
        out[0] = lo;
        out[1] = hi;
        return true;
      }
      this.bus.hiLoHiRetries++;
    }
    out[0] = 0;
    out[1] = 0;
    return false;
  }

  /** When an access at `offset` made now would complete, if the bus holds it (IoMem.stall); 0 if it would not wait. */
  stalledUntil(offset: number): number {
    return this.bus.stalledUntil(this.phys + offset);
  }

  /** Settles when an access at `offset` would no longer wait for the bus (at once if it would not). */
  whenReady(offset: number): Promise<void> {
    const until = this.stalledUntil(offset);
    return until === 0 ? Promise.resolve() : this.bus.clockReaches(until);
  }

  /**
   * readl from a path that may sleep: on a stalled bus it waits until the
   * device answers (observers see the access begin at once and end then);
   * otherwise it is readl. The mapping is checked again when the access
   * completes: released meanwhile, it is a use after release.
   */
  readlWhenReady(offset: number): Promise<number> {
    const until = this.stalledUntil(offset);
    if (until === 0) return Promise.resolve(this.readl(offset));
    const wait = this.bus.clockReaches(until);
    if (!this.bus.kmmioArmed) return wait.then(() => this.readl(offset));
    return this.bus.observedAcross(this, offset, 4, wait, () => this.rawReadl(offset));
  }

  /**
   * The hi-lo-hi sequence from a path that may sleep: each read waits for a
   * stalled bus, and before each new attempt `between` lets the reader be
   * preempted. `attemptsDone` attempts were already made synchronously.
   */
  async readqHiLoHiWhenReady(offset: number, out: Uint32Array, between: () => Promise<void>, attemptsDone = 0): Promise<boolean> {
    for (let i = attemptsDone; i < HILOHI_MAX_POLL; i++) {
      if (i > 0) await between();
      const hi = await this.readlWhenReady(offset + 4);
      const lo = await this.readlWhenReady(offset);
      if ((await this.readlWhenReady(offset + 4)) === hi) {
        out[0] = lo;
        out[1] = hi;
        return true;
      }
      this.bus.hiLoHiRetries++;
    }
    out[0] = 0;
    out[1] = 0;
    return false;
  }

  /** The 64-bit value in `out` as a number; exact below 2^53. */
  static toNumber(out: Uint32Array): number {
    return out[1]! * TWO32 + out[0]!;
  }

  // --- raw accessors: checked, never traced or observed ---

  rawReadl(offset: number): number {
    return this.access(offset, 4, false, 0, 0, null, false);
  }

  rawWritel(value: number, offset: number): void {
    this.access(offset, 4, true, value >>> 0, 0, null, false);
  }

  rawReadqInto(offset: number, out: Uint32Array): void {
    this.access(offset, 8, false, 0, 0, out, false);
  }

  rawWriteqParts(lo: number, hi: number, offset: number): void {
    this.access(offset, 8, true, lo >>> 0, hi >>> 0, null, false);
  }

  private narrowRead(offset: number, width: 1 | 2): number {
    return this.access(offset, width, false, 0, 0, null, true);
  }

  private narrowWrite(value: number, offset: number, width: 1 | 2): void {
    this.access(offset, width, true, value, 0, null, true);
  }
}
