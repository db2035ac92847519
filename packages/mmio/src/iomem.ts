import { kerr, type KernelError, type Shadow } from '@cspmu/kernel';
import { BusError, hex } from './bus-error.js';
import type { AccessWidth, MmioDevice } from './device.js';
import type { MmioBus } from './bus.js';
import { PAGE_SHIFT } from './address-map.js';

/** How many hi-lo-hi attempts the kernel makes before giving up. */
export const HILOHI_MAX_POLL = 1000;

const TWO32 = 4294967296;

/**
 * A driver's view of an ioremapped range: the kernel's read/write accessors.
 * readX/writeX and their _relaxed forms are traced by rwmmio; the raw forms
 * are not. Every access is checked (range, alignment, width, mapped) and a
 * refused access throws a BusError with the device untouched. After iounmap
 * every access is refused as use-after-unmap and reported to the bus.
 */
export class IoMem {
  private devs: (MmioDevice | undefined)[];
  private devOffset: number[];
  /** The device behind a one-page mapping, and the offset of the mapping in it (the fast path). */
  private readonly dev0: MmioDevice | undefined;
  private readonly off0: number;
  private live = true;
  private readonly pair = new Uint32Array(2);
  /** Interned owner name, for trace records. */
  readonly devId: number;

  constructor(
    private readonly bus: MmioBus,
    readonly phys: number,
    readonly size: number,
    /** Kernel virtual address, as two 32-bit halves (it is above 2^53). */
    readonly virtLo: number,
    readonly virtHi: number,
    readonly owner: string,
    readonly mapId: number,
    /** The mapping's lifetime for KASAN: freed by iounmap, so a later access is reported with both call chains. */
    readonly shadow: Shadow,
  ) {
    this.devs = [];
    this.devOffset = [];
    for (let page = 0; page < size >>> PAGE_SHIFT; page++) {
      const region = bus.map.lookup(phys + (page << PAGE_SHIFT));
      this.devs.push(region?.device);
      this.devOffset.push(region ? phys + (page << PAGE_SHIFT) - region.base : 0);
    }
    this.devId = bus.trace.strings.intern(owner);
    this.dev0 = size === 0x1000 ? this.devs[0] : undefined;
    this.off0 = this.devOffset[0] ?? 0;
  }

  get mapped(): boolean {
    return this.live;
  }

  /** The kernel virtual address of `offset`, as text. */
  virtAddress(offset = 0): string {
    return `0x${((BigInt(this.virtHi) << 32n) + BigInt(this.virtLo + offset)).toString(16)}`;
  }

  /** @internal called by MmioBus.iounmap */
  kill(): void {
    this.live = false;
  }

  // --- instrumented 32-bit accessors (the hot path) ---

  /** True while anything watches accesses (kmmio probes, rwmmio tracepoints): each access must then really happen. */
  get observed(): boolean {
    return !this.bus.quietReads || !this.bus.quietWrites;
  }

  readl(offset: number): number {
    const dev0 = this.dev0;
    if (this.bus.quietReads && dev0 !== undefined && this.live && (offset & 0xffc) === offset) return dev0.read(this.off0 + offset, 4);
    return this.readlChecked(offset);
  }

  private readlChecked(offset: number): number {
    const dev = this.target(offset, 4, false);
    if (this.bus.kmmioArmed) return this.bus.observed(this, offset, 4, false, 0, 0, () => this.readl_unobserved(dev, offset));
    return this.readl_unobserved(dev, offset);
  }

  private readl_unobserved(dev: MmioDevice, offset: number): number {
    const rw = this.bus.rw;
    if (rw.read.enabled) rw.emitRead(32, this.virtLo + offset, this.virtHi, this.devId);
    const v = dev.read(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4);
    if (rw.postRead.enabled) { rw.slots[3] = v; rw.slots[4] = 0; rw.emitValued(rw.postRead, 32, this.virtLo + offset, this.virtHi, this.devId); }
    return v;
  }

  writel(value: number, offset: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue('writel', value, 'an integer number');
    const dev0 = this.dev0;
    if (this.bus.quietWrites && dev0 !== undefined && this.live && (offset & 0xffc) === offset) {
      dev0.write(this.off0 + offset, 4, value >>> 0);
      return;
    }
    this.writelChecked(value, offset);
  }

  private writelChecked(value: number, offset: number): void {
    const dev = this.target(offset, 4, true);
    const v = value >>> 0;
    if (this.bus.kmmioArmed) {
      this.bus.observed(this, offset, 4, true, v, 0, () => this.writel_unobserved(dev, offset, v));
      return;
    }
    this.writel_unobserved(dev, offset, v);
  }

  private writel_unobserved(dev: MmioDevice, offset: number, v: number): number {
    const rw = this.bus.rw;
    if (rw.write.enabled) { rw.slots[3] = v; rw.slots[4] = 0; rw.emitValued(rw.write, 32, this.virtLo + offset, this.virtHi, this.devId); }
    dev.write(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4, v);
    if (rw.postWrite.enabled) { rw.slots[3] = v; rw.slots[4] = 0; rw.emitValued(rw.postWrite, 32, this.virtLo + offset, this.virtHi, this.devId); }
    return v;
  }

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

  // --- 64-bit accessors: exact, split into halves so no BigInt is needed ---

  /** readq into out[0] (low) and out[1] (high); allocation-free. */
  readqInto(offset: number, out: Uint32Array): void {
    const dev0 = this.dev0;
    if (this.bus.quietReads && dev0 !== undefined && this.live && (offset & 0xff8) === offset && dev0.check(this.off0 + offset, 8, false) === undefined) {
      dev0.read64(this.off0 + offset, out);
      return;
    }
    this.readqChecked(offset, out);
  }

  private readqChecked(offset: number, out: Uint32Array): void {
    const dev = this.target(offset, 8, false);
    if (this.bus.kmmioArmed) {
      this.bus.observed(this, offset, 8, false, 0, 0, () => this.readq_unobserved(dev, offset, out), out);
      return;
    }
    this.readq_unobserved(dev, offset, out);
  }

  private readq_unobserved(dev: MmioDevice, offset: number, out: Uint32Array): number {
    const rw = this.bus.rw;
    if (rw.read.enabled) rw.emitRead(64, this.virtLo + offset, this.virtHi, this.devId);
    dev.read64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), out);
    if (rw.postRead.enabled) { rw.slots[3] = out[0]!; rw.slots[4] = out[1]!; rw.emitValued(rw.postRead, 64, this.virtLo + offset, this.virtHi, this.devId); }
    return out[0]!;
  }

  /** writeq of a value given as two 32-bit halves. */
  writeqParts(lo: number, hi: number, offset: number): void {
    if (typeof lo !== 'number' || !Number.isInteger(lo)) throw badValue('writeq (low word)', lo, 'an integer number');
    if (typeof hi !== 'number' || !Number.isInteger(hi)) throw badValue('writeq (high word)', hi, 'an integer number');
    const dev = this.target(offset, 8, true);
    if (this.bus.kmmioArmed) {
      this.bus.observed(this, offset, 8, true, lo >>> 0, hi >>> 0, () => this.writeq_unobserved(dev, offset, lo, hi));
      return;
    }
    this.writeq_unobserved(dev, offset, lo, hi);
  }

  private writeq_unobserved(dev: MmioDevice, offset: number, lo: number, hi: number): number {
    const rw = this.bus.rw;
    if (rw.write.enabled) { rw.slots[3] = lo >>> 0; rw.slots[4] = hi >>> 0; rw.emitValued(rw.write, 64, this.virtLo + offset, this.virtHi, this.devId); }
    dev.write64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), lo >>> 0, hi >>> 0);
    if (rw.postWrite.enabled) { rw.slots[3] = lo >>> 0; rw.slots[4] = hi >>> 0; rw.emitValued(rw.postWrite, 64, this.virtLo + offset, this.virtHi, this.devId); }
    return lo >>> 0;
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

  /** The 64-bit value in `out` as a number; exact below 2^53. */
  static toNumber(out: Uint32Array): number {
    return out[1]! * TWO32 + out[0]!;
  }

  // --- raw accessors: never traced ---

  rawReadl(offset: number): number {
    const dev = this.target(offset, 4, false);
    return dev.read(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4);
  }

  rawWritel(value: number, offset: number): void {
    const dev = this.target(offset, 4, true);
    dev.write(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4, value >>> 0);
  }

  rawReadqInto(offset: number, out: Uint32Array): void {
    const dev = this.target(offset, 8, false);
    dev.read64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), out);
  }

  rawWriteqParts(lo: number, hi: number, offset: number): void {
    const dev = this.target(offset, 8, true);
    dev.write64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), lo >>> 0, hi >>> 0);
  }

  private narrowRead(offset: number, width: 1 | 2): number {
    const dev = this.target(offset, width, false);
    if (this.bus.kmmioArmed) return this.bus.observed(this, offset, width, false, 0, 0, () => this.narrowRead_unobserved(dev, offset, width));
    return this.narrowRead_unobserved(dev, offset, width);
  }

  private narrowRead_unobserved(dev: MmioDevice, offset: number, width: 1 | 2): number {
    const rw = this.bus.rw;
    if (rw.read.enabled) rw.emitRead(width * 8, this.virtLo + offset, this.virtHi, this.devId);
    const v = dev.read(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), width);
    if (rw.postRead.enabled) { rw.slots[3] = v; rw.slots[4] = 0; rw.emitValued(rw.postRead, width * 8, this.virtLo + offset, this.virtHi, this.devId); }
    return v;
  }

  private narrowWrite(value: number, offset: number, width: 1 | 2): void {
    const dev = this.target(offset, width, true);
    if (this.bus.kmmioArmed) {
      this.bus.observed(this, offset, width, true, value, 0, () => this.narrowWrite_unobserved(dev, value, offset, width));
      return;
    }
    this.narrowWrite_unobserved(dev, value, offset, width);
  }

  private narrowWrite_unobserved(dev: MmioDevice, value: number, offset: number, width: 1 | 2): number {
    const rw = this.bus.rw;
    if (rw.write.enabled) { rw.slots[3] = value; rw.slots[4] = 0; rw.emitValued(rw.write, width * 8, this.virtLo + offset, this.virtHi, this.devId); }
    dev.write(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), width, value);
    if (rw.postWrite.enabled) { rw.slots[3] = value; rw.slots[4] = 0; rw.emitValued(rw.postWrite, width * 8, this.virtLo + offset, this.virtHi, this.devId); }
    return value;
  }

  /** Validate an access and return the device it goes to; throws a BusError otherwise. */
  private target(offset: number, width: AccessWidth, write: boolean): MmioDevice {
    if (!this.live) throw this.bus.useAfterUnmap(this, offset, width, write);
    if (!(offset >= 0 && offset + width <= this.size) || !Number.isInteger(offset)) {
      throw this.bus.refuse(
        new BusError('out-of-range', this.phys + offset, width, `${this.owner}: ${width * 8}-bit access at offset ${hex(offset)} is outside the ${hex(this.size)}-byte mapping`),
      );
    }
    if ((offset & (width - 1)) !== 0) {
      throw this.bus.refuse(
        new BusError('misaligned', this.phys + offset, width, `${this.owner}: ${width * 8}-bit access at offset ${hex(offset)} is not ${width}-byte aligned`),
      );
    }
    const dev = this.devs[offset >>> PAGE_SHIFT];
    if (dev === undefined) {
      throw this.bus.refuse(
        new BusError('unmapped', this.phys + offset, width, `${this.owner}: physical address ${hex(this.phys + offset)} has no device behind it`),
      );
    }
    if (width !== 4) {
      const why = dev.check(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), width, write);
      if (why !== undefined) {
        throw this.bus.refuse(new BusError('wrong-width', this.phys + offset, width, `${this.owner}: at ${hex(this.phys + offset)}: ${why}`));
      }
    }
    return dev;
  }
}

/** EINVAL for a value of the wrong type, described without calling its valueOf or toString. */
function badValue(op: string, value: unknown, want: string): KernelError {
  const what = typeof value === 'number' ? String(value) : typeof value === 'bigint' ? `${value}n` : `a ${value === null ? 'null' : typeof value}`;
  return kerr('EINVAL', `${op}: the value must be ${want}, got ${what}`);
}
