// The core of an ioremapped range: mapping, access checks, and the traced 32- and 64-bit accessors.
import { type KernelError, kerr, type Shadow } from '@cspmu/kernel';
import { PAGE_SHIFT } from './address-map.js';
import type { MmioBus } from './bus.js';
import { BusError, hex } from './bus-error.js';
import type { AccessWidth, MmioDevice } from './device.js';
import type { IoMem } from './iomem.js';

/**
 * The core of a driver's view of an ioremapped range: the mapping, its
 * checks, and the traced 32- and 64-bit accessors the hot paths use. Every
 * access is checked (range, alignment, width, mapped) and a refused access
 * throws a BusError with the device untouched. After iounmap every access is
 * refused as use-after-unmap and reported to the bus. IoMem adds the other
 * accessor forms.
 */
export class IoMemBase {
  private devs: (MmioDevice | undefined)[];
  protected devOffset: number[];
  /** The device behind a one-page mapping, and the offset of the mapping in it (the fast path). */
  private readonly dev0: MmioDevice | undefined;
  private readonly off0: number;
  private live = true;
  protected readonly pair = new Uint32Array(2);
  /** Interned owner name, for trace records. */
  readonly devId: number;

  constructor(
    protected readonly bus: MmioBus,
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
    if (this.bus.kmmioArmed) return this.bus.observed(this.asIoMem, offset, 4, false, 0, 0, () => this.readl_unobserved(dev, offset));
    return this.readl_unobserved(dev, offset);
  }

  private readl_unobserved(dev: MmioDevice, offset: number): number {
    const rw = this.bus.rw;
    if (rw.read.enabled) rw.emitRead(32, this.virtLo + offset, this.virtHi, this.devId);
    const v = dev.read(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4);
    if (rw.postRead.enabled) {
      rw.slots[3] = v;
      rw.slots[4] = 0;
      rw.emitValued(rw.postRead, 32, this.virtLo + offset, this.virtHi, this.devId);
    }
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
      this.bus.observed(this.asIoMem, offset, 4, true, v, 0, () => this.writel_unobserved(dev, offset, v));
      return;
    }
    this.writel_unobserved(dev, offset, v);
  }

  private writel_unobserved(dev: MmioDevice, offset: number, v: number): number {
    const rw = this.bus.rw;
    if (rw.write.enabled) {
      rw.slots[3] = v;
      rw.slots[4] = 0;
      rw.emitValued(rw.write, 32, this.virtLo + offset, this.virtHi, this.devId);
    }
    dev.write(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), 4, v);
    if (rw.postWrite.enabled) {
      rw.slots[3] = v;
      rw.slots[4] = 0;
      rw.emitValued(rw.postWrite, 32, this.virtLo + offset, this.virtHi, this.devId);
    }
    return v;
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
      this.bus.observed(this.asIoMem, offset, 8, false, 0, 0, () => this.readq_unobserved(dev, offset, out), out);
      return;
    }
    this.readq_unobserved(dev, offset, out);
  }

  private readq_unobserved(dev: MmioDevice, offset: number, out: Uint32Array): number {
    const rw = this.bus.rw;
    if (rw.read.enabled) rw.emitRead(64, this.virtLo + offset, this.virtHi, this.devId);
    dev.read64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), out);
    if (rw.postRead.enabled) {
      rw.slots[3] = out[0]!;
      rw.slots[4] = out[1]!;
      rw.emitValued(rw.postRead, 64, this.virtLo + offset, this.virtHi, this.devId);
    }
    return out[0]!;
  }

  /** writeq of a value given as two 32-bit halves. */
  writeqParts(lo: number, hi: number, offset: number): void {
    if (typeof lo !== 'number' || !Number.isInteger(lo)) throw badValue('writeq (low word)', lo, 'an integer number');
    if (typeof hi !== 'number' || !Number.isInteger(hi)) throw badValue('writeq (high word)', hi, 'an integer number');
    const dev = this.target(offset, 8, true);
    if (this.bus.kmmioArmed) {
      this.bus.observed(this.asIoMem, offset, 8, true, lo >>> 0, hi >>> 0, () => this.writeq_unobserved(dev, offset, lo, hi));
      return;
    }
    this.writeq_unobserved(dev, offset, lo, hi);
  }

  private writeq_unobserved(dev: MmioDevice, offset: number, lo: number, hi: number): number {
    const rw = this.bus.rw;
    if (rw.write.enabled) {
      rw.slots[3] = lo >>> 0;
      rw.slots[4] = hi >>> 0;
      rw.emitValued(rw.write, 64, this.virtLo + offset, this.virtHi, this.devId);
    }
    dev.write64(this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff), lo >>> 0, hi >>> 0);
    if (rw.postWrite.enabled) {
      rw.slots[3] = lo >>> 0;
      rw.slots[4] = hi >>> 0;
      rw.emitValued(rw.postWrite, 64, this.virtLo + offset, this.virtHi, this.devId);
    }
    return lo >>> 0;
  }

  /** Validate an access and return the device it goes to; throws a BusError otherwise. */
  /** This mapping as the bus knows it (every mapping is an IoMem). */
  private get asIoMem(): IoMem {
    return this as unknown as IoMem;
  }

  protected target(offset: number, width: AccessWidth, write: boolean): MmioDevice {
    if (!this.live) throw this.bus.useAfterUnmap(this.asIoMem, offset, width, write);
    if (!(offset >= 0 && offset + width <= this.size) || !Number.isInteger(offset)) {
      throw this.bus.refuse(
        new BusError(
          'out-of-range',
          this.phys + offset,
          width,
          `${this.owner}: ${width * 8}-bit access at offset ${hex(offset)} is outside the ${hex(this.size)}-byte mapping`,
        ),
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
export function badValue(op: string, value: unknown, want: string): KernelError {
  const what = typeof value === 'number' ? String(value) : typeof value === 'bigint' ? `${value}n` : `a ${value === null ? 'null' : typeof value}`;
  return kerr('EINVAL', `${op}: the value must be ${want}, got ${what}`);
}
