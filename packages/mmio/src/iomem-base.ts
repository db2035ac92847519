// The core of an ioremapped range: mapping, access checks, and the traced 32- and 64-bit accessors.
import { describeValue, type KernelError, kerr, type Shadow } from '@cspmu/kernel';
import { PAGE_SHIFT } from './address-map.js';
import type { MmioBus } from './bus.js';
import { BusError, hex } from './bus-error.js';
import type { AccessWidth, MmioDevice } from './device.js';
import type { IoMem } from './iomem.js';
import { madeForPlainOffsets } from './plain-offsets.js';

const WORDS_PER_PAGE = 0x400;
const EMPTY_WORDS = new Uint32Array(0);

/**
 * The core of a driver's view of an ioremapped range: the mapping, its
 * checks, and the traced 32- and 64-bit accessors the hot paths use. Every
 * access is checked (range, alignment, width, mapped) and a refused access
 * throws a BusError with the device untouched. After iounmap every access is
 * refused as use-after-unmap and reported to the bus. A 32-bit read of a
 * plain register (no hook, no read side effect) comes straight from the
 * device's state while nothing watches reads, or while rwmmio alone does
 * (then its two records are written around it; the table of plain offsets
 * stands in for the checks); everything else goes through the device. IoMem
 * adds the other accessor forms.
 */
export class IoMemBase {
  private devs: (MmioDevice | undefined)[];
  protected devOffset: number[];
  /** The device behind a one-page mapping, and the offset of the mapping in it (the fast path). */
  private readonly dev0: MmioDevice | undefined;
  private readonly off0: number;
  private live = true;
  /*
   * The direct read: readlDirect reads a plain register from readWords, and
   * knows which are plain from a table of its own (see readlsFor). Neither
   * depends on tracing or on the mapping being live: those choose which
   * accessor functions the mapping has (refreshFastPath). These fields (and
   * readlTraced) are set once, so V8 treats them as constant fields and, where the mapping itself
   * is a constant, reads the word from a fixed address.
   * `declare`: no class-field definition, which would assign them twice.
   */
  declare private readonly readlDirect: (offset: number) => number;
  /** The traced readl for when rwmmio watches reads and nothing else does (see readlsFor); made with readlDirect, from the same table. */
  declare private readonly readlTraced: (offset: number) => number;
  declare private readonly readWords: Uint32Array;
  protected readonly pair = new Uint32Array(2);
  /** Interned owner name, for trace records. */
  readonly devId: number;
  /** virtLo and virtHi as int32 patterns (the same 32 bits): small integers, which the traced readl adds and passes without a conversion. */
  private readonly virtLo32: number;
  private readonly virtHi32: number;

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
    // Sized once (push would leave each mapping's arrays with room for 16 pages).
    const pages = size >>> PAGE_SHIFT;
    this.devs = new Array<MmioDevice | undefined>(pages);
    this.devOffset = new Array<number>(pages);
    for (let page = 0; page < pages; page++) {
      const region = bus.map.lookup(phys + (page << PAGE_SHIFT));
      this.devs[page] = region?.device;
      this.devOffset[page] = region ? phys + (page << PAGE_SHIFT) - region.base : 0;
    }
    this.devId = bus.trace.strings.intern(owner);
    this.virtLo32 = virtLo | 0;
    this.virtHi32 = virtHi | 0;
    this.dev0 = size === 0x1000 ? this.devs[0] : undefined;
    // An int32 where it fits (always, for a page of a register bank): a double here would make every direct access convert it.
    const off0 = this.devOffset[0] ?? 0;
    this.off0 = off0 <= 0x7fffffff ? off0 | 0 : off0;
    const rs = this.dev0?.readShadow;
    const first = this.off0 >>> 2;
    // Views of the device's own arrays; the arrays themselves where they are exactly the page (a view costs about 100 bytes a mapping).
    this.readWords = rs === undefined ? EMPTY_WORDS : pageOf(rs.words, first, WORDS_PER_PAGE);
    const readls = madeForPlainOffsets(rs?.bits, first, IoMemBase.readlsFor);
    this.readlDirect = readls.direct;
    this.readlTraced = readls.traced;
    this.refreshFastPath();
  }

  get mapped(): boolean {
    return this.live;
  }

  /** The emulator service of the device behind the mapping's first page (undefined once unmapped). */
  deviceService(): unknown {
    return this.live ? this.devs[0]?.service : undefined;
  }

  /** The kernel virtual address of `offset`, as text. */
  virtAddress(offset = 0): string {
    return `0x${((BigInt(this.virtHi) << 32n) + BigInt(this.virtLo + offset)).toString(16)}`;
  }

  /** @internal called by MmioBus.iounmap */
  kill(): void {
    this.live = false;
    this.refreshFastPath();
  }

  /**
   * @internal choose the accessors from the mapping's state and the bus's
   * watchers; the bus calls it whenever they change. Like the kernel's static
   * keys, the choice is made here and not on every access: while a one-page
   * mapping is live and nothing watches its reads (writes), readl and readq
   * (writel and writeq) are the direct functions, which have no tracing or liveness test
   * at all; while rwmmio alone traces reads, readl is the traced direct one
   * (readlTraced); otherwise they are the checked ones, which trace, run the
   * kmmio observers and report a use after iounmap. A call site that only ever runs
   * untraced then sees only the direct function and V8 inlines it alone,
   * however much other sites trace.
   *
   * readl is not reassigned: the direct one is the class's, and the others are
   * an own property added last and deleted again, which returns the mapping to
   * its first hidden class (V8 undoes the last transition). A reassigned field
   * would stay mutable for V8 after the first toggle of tracing, and every
   * untraced call would load it and check its identity: 1.25× a raw read, not 0.97×.
   */
  refreshFastPath(): void {
    const direct = this.live && this.dev0 !== undefined;
    const reads = direct && this.bus.quietReads;
    this.readqInto = reads ? this.readqDirect : this.readqChecked;
    const writes = direct && this.bus.quietWrites;
    this.writel = writes ? this.writelDirect : this.writelChecked;
    this.writeqParts = writes ? this.writeqDirect : this.writeqChecked;
    // Last, so that readl stays the last property added. Traced by rwmmio alone (no kmmio observer): the traced direct readl.
    const own = this as { readl?: (offset: number) => number };
    if (reads) {
      if (Object.hasOwn(this, 'readl')) delete own.readl;
    } else own.readl = direct && !this.bus.kmmioArmed ? this.readlTraced : this.readlChecked;
  }

  // --- instrumented 32-bit and 64-bit accessors (the hot paths) ---

  /** True while anything watches accesses (kmmio probes, rwmmio tracepoints): each access must then really happen. */
  get observed(): boolean {
    return !this.bus.quietReads || !this.bus.quietWrites;
  }

  /** readl: readlDirect here; readlTraced or readlChecked as the mapping's own, where refreshFastPath chose them. */
  readl(offset: number): number {
    return this.readlDirect(offset);
  }
  declare writel: (value: number, offset: number) => void;
  /** readq into out[0] (low) and out[1] (high); allocation-free. 64-bit accesses are exact, as halves: no BigInt. */
  declare readqInto: (offset: number, out: Uint32Array) => void;
  /** writeq of a value given as two 32-bit halves. */
  declare writeqParts: (lo: number, hi: number, offset: number) => void;

  /**
   * The direct readl of the mappings whose page has the plain offsets
   * `table` (see madeForPlainOffsets): one function per table, shared by
   * every device of a kind, with the table a constant of its own. Where a
   * caller reads at a constant offset and V8 inlines this function, it reads
   * the table then: a plain register's read is one load, and a read with
   * side effects goes through the bank. The table checks alignment and range
   * too (no 'p' at a misaligned, negative, fractional or too large offset).
   * No arithmetic test comes before the lookup: with an alignment test first,
   * V8 still dropped the branch at a constant offset, but too late, and the
   * caller's loop went on reloading and storing its values around where the
   * call had been.
   */
  private static readlsFor(table: string): { direct: (this: IoMemBase, offset: number) => number; traced: (this: IoMemBase, offset: number) => number } {
    const plainAt = table; // a const, which V8 folds where it knows the function; a parameter it would not
    return {
      direct: function readlDirect(this: IoMemBase, offset: number): number {
        if (typeof offset === 'number' && plainAt[offset] === 'p') return this.readWords[offset >>> 2]!;
        return this.access(offset, 4, false, 0, 0, null, true) >>> 0;
      },
      /**
       * readl while rwmmio traces reads and nothing else watches them (a
       * live one-page mapping): a plain register's read goes straight to
       * the rwmmio pair writer, past access()'s checks, which the table
       * already made (aligned, in range, plain). The address halves go as
       * int32 patterns, so the call boxes no number.
       */
      traced: function readlTraced(this: IoMemBase, offset: number): number {
        if (typeof offset === 'number' && plainAt[offset] === 'p') {
          return this.bus.rw.read32Plain(this.readWords, offset >>> 2, (this.virtLo32 + offset) | 0, this.virtHi32, this.devId);
        }
        return this.access(offset, 4, false, 0, 0, null, true) >>> 0;
      },
    };
  }

  private readlChecked(offset: number): number {
    return this.access(offset, 4, false, 0, 0, null, true) >>> 0;
  }

  /**
   * A whole number at a 4-aligned offset in the page, straight to the device, as an int32 pattern (the same 32 bits; an unsigned
   * one above 2^31 would be boxed for the call). Anything else takes the checked path, which refuses it with its reason. Small on
   * purpose: every driver function that writes a register inlines this, within V8's inlining budget for that function.
   */
  private writelDirect(value: number, offset: number): void {
    if (typeof offset === 'number' && (offset & 0xffc) === offset && typeof value === 'number' && Number.isInteger(value)) {
      this.dev0!.write32(this.off0 + offset, value | 0);
    } else this.writelChecked(value, offset);
  }

  private writelChecked(value: number, offset: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue('writel', value, 'an integer number');
    this.access(offset, 4, true, value >>> 0, 0, null, true);
  }

  /** One register lookup for the width check and the read (tryRead64); a refused width takes the checked path, which refuses it with its reason. */
  private readqDirect(offset: number, out: Uint32Array): void {
    if (typeof offset === 'number' && (offset & 0xff8) === offset && this.dev0!.tryRead64(this.off0 + offset, out)) return;
    this.access(offset, 8, false, 0, 0, out, true);
  }

  private readqChecked(offset: number, out: Uint32Array): void {
    this.access(offset, 8, false, 0, 0, out, true);
  }

  /** One register lookup for the width check and the write (tryWrite64); a refused width takes the checked path, which refuses it with its reason. */
  private writeqDirect(lo: number, hi: number, offset: number): void {
    if (
      typeof offset === 'number' &&
      (offset & 0xff8) === offset &&
      typeof lo === 'number' &&
      Number.isInteger(lo) &&
      typeof hi === 'number' &&
      Number.isInteger(hi) &&
      this.dev0!.tryWrite64(this.off0 + offset, lo | 0, hi | 0)
    )
      return;
    this.writeqChecked(lo, hi, offset);
  }

  private writeqChecked(lo: number, hi: number, offset: number): void {
    checkHalves(lo, hi);
    this.access(offset, 8, true, lo >>> 0, hi >>> 0, null, true);
  }

  /** This mapping as the bus knows it (every mapping is an IoMem). */
  protected get asIoMem(): IoMem {
    return this as unknown as IoMem;
  }

  /**
   * Every access the fast paths leave: registers with read side effects,
   * unwatched ones through a multi-page mapping, and anything while watched
   * or after iounmap. Validates (a refused access throws a BusError with the
   * device untouched), then, if `instrumented` (not the raw accessors), runs
   * the kmmio observers around it and emits the rwmmio records, with no
   * object made per access. A read returns the value (the low half for 64
   * bits, which land in `out`). One function on purpose: it is too large for
   * V8 to inline, so every accessor that calls it stays small enough to be
   * inlined into its callers.
   */
  protected access(offset: number, width: AccessWidth, write: boolean, lo: number, hi: number, out: Uint32Array | null, instrumented: boolean): number {
    const bus = this.bus;
    if (typeof offset !== 'number') throw kerr('EINVAL', `${this.owner}: ${width * 8}-bit access: the offset must be a number, got ${describeValue(offset)}`);
    const dev0 = this.dev0;
    // The traced readl's other case (a plain register's it handles itself). A 32-bit read through a live one-page mapping at
    // an aligned offset inside it with no kmmio observer passes every check below: it goes straight to the device with its
    // rwmmio records around it.
    if (width === 4 && !write && instrumented && dev0 !== undefined && this.live && !bus.kmmioArmed && (offset & 0xffc) === offset) {
      // The address halves as 32-bit patterns (| 0): small integers, so the call boxes no number; the records keep them as words.
      const addr = (this.virtLo + offset) | 0;
      const addrHi = this.virtHi | 0;
      return bus.rw.read32(dev0, this.off0 + offset, addr, addrHi, this.devId);
    }
    if (!this.live) throw bus.useAfterUnmap(this.asIoMem, offset, width, write);
    if (!(offset >= 0 && offset + width <= this.size) || !Number.isInteger(offset)) {
      const why = `${this.owner}: ${width * 8}-bit access at offset ${hex(offset)} is outside the ${hex(this.size)}-byte mapping`;
      throw bus.refuse(new BusError('out-of-range', this.phys + offset, width, why));
    }
    if ((offset & (width - 1)) !== 0) {
      const why = `${this.owner}: ${width * 8}-bit access at offset ${hex(offset)} is not ${width}-byte aligned`;
      throw bus.refuse(new BusError('misaligned', this.phys + offset, width, why));
    }
    const dev = this.devs[offset >>> PAGE_SHIFT];
    if (dev === undefined) {
      throw bus.refuse(
        new BusError('unmapped', this.phys + offset, width, `${this.owner}: physical address ${hex(this.phys + offset)} has no device behind it`),
      );
    }
    const at = this.devOffset[offset >>> PAGE_SHIFT]! + (offset & 0xfff);
    if (width !== 4) {
      const why = dev.check(at, width, write);
      if (why !== undefined) throw bus.refuse(new BusError('wrong-width', this.phys + offset, width, `${this.owner}: at ${hex(this.phys + offset)}: ${why}`));
    }
    if (!instrumented) return this.perform(dev, at, width, write, lo, hi, out);
    const obs = bus.kmmioArmed ? bus.beforeAccess(this.asIoMem, offset, width, write, lo, hi) : null;
    let vlo = lo;
    let vhi = hi;
    try {
      const rw = bus.rw;
      const addr = this.virtLo + offset;
      if (write) {
        if (rw.write.enabled) rw.emitValued(rw.write, width * 8, addr, this.virtHi, this.devId, lo, hi);
        this.perform(dev, at, width, true, lo, hi, null);
        if (rw.postWrite.enabled) rw.emitValued(rw.postWrite, width * 8, addr, this.virtHi, this.devId, lo, hi);
      } else {
        if (rw.read.enabled) rw.emitRead(width * 8, addr, this.virtHi, this.devId);
        if (out === null) vlo = dev.read(at, width as 1 | 2 | 4);
        else {
          dev.read64(at, out);
          vlo = out[0]!;
          vhi = out[1]!;
        }
        if (rw.postRead.enabled) rw.emitValued(rw.postRead, width * 8, addr, this.virtHi, this.devId, vlo, vhi);
      }
    } finally {
      if (obs !== null) bus.afterAccess(obs, this.asIoMem, offset, width, write, vlo, vhi);
    }
    return vlo;
  }

  /** The access itself, on the device; returns the value read (the low half for 64 bits). */
  private perform(dev: MmioDevice, at: number, width: AccessWidth, write: boolean, lo: number, hi: number, out: Uint32Array | null): number {
    if (width === 8) {
      if (write) dev.write64(at, lo, hi);
      else {
        dev.read64(at, out!);
        return out![0]!;
      }
      return lo;
    }
    if (write) dev.write(at, width, lo);
    else return dev.read(at, width);
    return lo;
  }
}

/** Words [from, from + n) of `a`: `a` itself when that is all of it, else a view. */
function pageOf(a: Uint32Array, from: number, n: number): Uint32Array {
  return from === 0 && a.length === n ? a : a.subarray(from, from + n);
}

function checkHalves(lo: number, hi: number): void {
  if (typeof lo !== 'number' || !Number.isInteger(lo)) throw badValue('writeq (low word)', lo, 'an integer number');
  if (typeof hi !== 'number' || !Number.isInteger(hi)) throw badValue('writeq (high word)', hi, 'an integer number');
}

/** EINVAL for a value of the wrong type, described without calling its valueOf or toString. */
export function badValue(op: string, value: unknown, want: string): KernelError {
  return kerr('EINVAL', `${op}: the value must be ${want}, got ${describeValue(value)}`);
}
