// What a device model offers the MMIO bus: checked accesses of 1 to 8 bytes, a 64-bit one passed as two 32-bit halves.
/** Access widths in bytes. */
export type AccessWidth = 1 | 2 | 4 | 8;

/**
 * A device's plain 32-bit reads, for the accessors' fast path: a 32-bit read
 * of word w returns words[w] exactly when bit (w & 31) of bits[w >>> 5] is
 * set; any other word (a read hook, a read side effect, a zero read, no
 * register) must go through `read`. `words` is the device's own state, never
 * a copy, so a read through it is always current. `bits` is read once, when
 * a page of the device is first mapped, and must not change after that:
 * ioremap refuses (EINVAL) a device whose bits differ from what they were
 * then (a mapping already made would go on using the old bits). A device
 * whose plain registers can change offers no read shadow: every read then
 * goes through `read`.
 */
export interface ReadShadow {
  readonly bits: Uint32Array;
  readonly words: Uint32Array;
}

/**
 * What a device model offers the bus. 32-bit and narrower accesses pass
 * plain numbers; a 64-bit access passes its two halves, so no BigInt is
 * needed anywhere on the bus. `check` validates an access without
 * performing it, so a bad access can be refused before anything changes.
 */
export interface MmioDevice {
  readonly name: string;
  /** Plain registers a read may take straight from the device's state; absent: every read goes through `read`. */
  readonly readShadow?: ReadShadow;
  /** An emulator service the device model offers its driver beside the registers (real hardware has none), if any. */
  readonly service?: unknown;
  /** Why an access of `width` bytes at `offset` is not allowed, or undefined if it is. */
  check(offset: number, width: AccessWidth, write: boolean): string | undefined;
  read(offset: number, width: 1 | 2 | 4): number;
  /** A write of `width` bytes; `value` holds its bits, unsigned or as an int32 pattern (the direct writel passes `value | 0`, which a call does not box). */
  write(offset: number, width: 1 | 2 | 4, value: number): void;
  /** write(offset, 4, value). */
  write32(offset: number, value: number): void;
  /** 64-bit read into out[0] (low) and out[1] (high). */
  read64(offset: number, out: Uint32Array): void;
  /** read64 where check(offset, 8, false) passes, with one lookup: true once read; false, with nothing done, where the access must take the checked path (refused, or not a 64-bit register). */
  tryRead64(offset: number, out: Uint32Array): boolean;
  write64(offset: number, lo: number, hi: number): void;
  /**
   * write64 where check(offset, 8, true) passes, with one lookup: true once written; false, with nothing done, where the access must
   * take the checked path (refused, or not a 64-bit register). The halves come as int32 patterns (`| 0`): a half above 2^31 as an
   * unsigned number would be boxed for the call.
   */
  tryWrite64(offset: number, lo: number, hi: number): boolean;
}
