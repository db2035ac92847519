// A bank of 32- and 64-bit registers with access policies (RO, RW, WO, W1S, W1C, RAZ/WI) and write hooks, mapped as an MMIO device.
import { kerr } from '@cspmu/kernel';
import { BankLayout, type Reg, type RegisterSpec, RO, RW, UNKNOWN, W1C, W1S, type WriteHooks } from './bank-layout.js';
import { hex } from './bus-error.js';
import type { AccessWidth, MmioDevice, ReadShadow } from './device.js';
import { type UnknownAccessCount, UnknownAccesses } from './unknown-accesses.js';

export { type Access, BankLayout, type RegisterSpec, type WriteHooks } from './bank-layout.js';
export type { UnknownAccessCount } from './unknown-accesses.js';

const NO_UNKNOWN_ACCESSES: ReadonlyMap<number, UnknownAccessCount> = new Map();

/** The context of a bank with write hooks, checked once to offer them. */
function writeHooksOf(bank: string, context: unknown): WriteHooks {
  const h = context as Partial<WriteHooks> | null | undefined;
  if (typeof h?.beforeWrite !== 'function' || typeof h.afterWrite !== 'function') {
    throw kerr('EINVAL', `bank ${bank}: its registers have write hooks, so its context must offer beforeWrite and afterWrite`);
  }
  return h as WriteHooks;
}

/**
 * A declarative register bank: one page of registers with access policies,
 * reset values, action bits, side-effect hooks and paired SET/CLR views
 * over one state. Dispatch is O(1) by word offset. Unknown offsets read 0,
 * ignore writes and are counted per offset. The bank's own memory is its
 * state; the layout may be shared with other banks, and `context` is what
 * its hooks are given to find this bank's device.
 */
export class RegisterBank implements MmioDevice {
  readonly state: Uint32Array;
  private readonly regOfWord: Uint16Array;
  /** The layout's write descriptor, WRITE_STRIDE numbers per word. */
  private readonly writeDesc: Int32Array;
  private readonly plainBits: Uint32Array;
  /** The plain reads as the accessors' fast path takes them: over the live state, so never stale. */
  readonly readShadow: ReadShadow;
  private readonly regs: Reg[];
  private readonly byName: Map<string, Reg>;
  /** The context as the write hooks' dispatcher (null if no register has a write hook). */
  private readonly hooks: WriteHooks | null;
  /** Accesses to offsets with no register, made at the first: most banks never see one. */
  private unknownCounts: UnknownAccesses | undefined;
  /** An emulator service the model behind this bank offers drivers (see MmioDevice.service). */
  service: unknown;

  constructor(
    readonly name: string,
    readonly size: number,
    specs: readonly RegisterSpec[] | BankLayout,
    /** Passed to every hook: the device this bank belongs to. */
    readonly context: unknown = undefined,
  ) {
    const layout = specs instanceof BankLayout ? specs : new BankLayout(name, size, specs);
    if (layout.size !== size) throw kerr('EINVAL', `bank ${name}: its layout is for ${layout.size} bytes, not ${size}`);
    this.state = new Uint32Array(size / 4);
    this.regOfWord = layout.regOfWord;
    this.writeDesc = layout.writeDesc;
    this.plainBits = layout.plainBits;
    this.regs = layout.regs;
    this.byName = layout.byName;
    this.readShadow = { bits: layout.plainBits, words: this.state };
    this.hooks = layout.hooked ? writeHooksOf(name, context) : null;
    this.reset();
  }

  get unknown(): ReadonlyMap<number, UnknownAccessCount> {
    return this.unknownCounts?.snapshot() ?? NO_UNKNOWN_ACCESSES;
  }

  /** Put every register back to its reset value. */
  reset(): void {
    this.state.fill(0);
    for (const c of this.regs) {
      if (c === UNKNOWN || c.spec.stateOf !== undefined) continue;
      this.state[c.stateWord] = (c.spec.reset ?? 0) >>> 0;
      if (c.wide) this.state[c.stateWord + 1] = (c.spec.resetHi ?? 0) >>> 0;
    }
  }

  /** The register holding word w; a word past the bank's end (a bank smaller than the page it is mapped in) is unknown, as an unclaimed offset is. */
  private regAt(w: number): Reg {
    const i = this.regOfWord[w];
    return i === undefined ? UNKNOWN : this.regs[i]!;
  }

  check(offset: number, width: AccessWidth, _write: boolean): string | undefined {
    const c = this.regAt(offset >>> 2);
    if (c === UNKNOWN) return undefined;
    if (width < 4 && !c.narrow) return `${c.spec.name} does not accept ${width * 8}-bit accesses`;
    if (width === 8 && !c.wide) return `${c.spec.name} is a 32-bit register; a 64-bit access is not allowed`;
    // A 64-bit register is 8-aligned: an access elsewhere in it would take its high half and the next register's low half.
    if (width === 8 && (offset & 7) !== 0) return `${c.spec.name} is a 64-bit register at ${hex(c.firstWord * 4)}; a 64-bit access must start there`;
    return undefined;
  }

  /** A 64-bit access check() refuses, made on the bank directly (the bus refuses it before): EIO, with check()'s reason, and nothing touched. */
  private refused64(offset: number, write: boolean): Error {
    return kerr('EIO', `bank ${this.name}: at ${hex(offset)}: ${this.check(offset, 8, write)}`);
  }

  read(offset: number, width: 1 | 2 | 4): number {
    if (((this.plainBits[offset >>> 7]! >>> (offset >>> 2)) & 1) === 1 && width === 4) return this.state[offset >>> 2]!;
    return this.readSlow(offset, width);
  }

  /** Hooks, side effects, zero reads, narrow widths and unknown offsets. */
  private readSlow(offset: number, width: 1 | 2 | 4): number {
    const w = offset >>> 2;
    const c = this.regAt(w);
    let v: number;
    if (c.read !== null) {
      v = c.read(c.wide ? ((w - c.firstWord) as 0 | 1) : 0, this.context);
    } else if (c.pol === RW || c.pol === RO || c.pol === W1S || c.pol === W1C) {
      const sw = c.stateWord + (w - c.firstWord);
      v = this.state[sw]!;
      if (c.clearOnRead) this.state[sw] = 0;
    } else {
      if (c === UNKNOWN) this.countUnknown(offset, false);
      return 0;
    }
    if (width === 4) return v >>> 0;
    const shift = (offset & 3) * 8;
    return (v >>> shift) & (width === 1 ? 0xff : 0xffff);
  }

  /*
   * The write path reads the layout's write descriptor (see WRITE_STRIDE in
   * bank-layout.ts) with its slots and kinds as literals: slot 0 the kind
   * (1 ignored, 2 masked, 3 W1S, 4 W1C; +8 hookFirst, +16 64-bit; 0 no register), 1 the
   * bits a write may change, 2 the action bits, 3 the state word, 4 the hook
   * code, 5 its argument.
   */
  write(offset: number, width: 1 | 2 | 4, value: number): void {
    const d = this.writeDesc;
    const i = (offset >>> 2) * 8;
    // A word past the bank's end (a bank smaller than its page) has no descriptor, as an unclaimed word has kind 0.
    const kind = i < d.length ? d[i]! : 0;
    if (kind === 0) {
      this.countUnknown(offset, true);
      return;
    }
    const hook = d[i + 4]!;
    if ((kind & 8) !== 0) this.hooks!.beforeWrite(hook, d[i + 5]!);
    let v = value | 0;
    let lanes = -1;
    if (width < 4) {
      const shift = (offset & 3) * 8;
      lanes = (width === 1 ? 0xff : 0xffff) << shift;
      v <<= shift;
    }
    const s = this.state;
    const sw = d[i + 3]!;
    const old = s[sw]!;
    this.store(s, sw, kind & 7, v, d[i + 1]! & lanes);
    if (hook !== 0) this.hooks!.afterWrite(hook, d[i + 5]!, (v & d[i + 2]! & lanes) >>> 0, old);
  }

  /** write(offset, 4, value), as writel's direct path makes it: no lanes to work out (its descriptor read as write's). */
  write32(offset: number, value: number): void {
    const d = this.writeDesc;
    const i = (offset >>> 2) * 8;
    const kind = i < d.length ? d[i]! : 0;
    if (kind === 0) {
      this.countUnknown(offset, true);
      return;
    }
    const hook = d[i + 4]!;
    if ((kind & 8) !== 0) this.hooks!.beforeWrite(hook, d[i + 5]!);
    const v = value | 0;
    const s = this.state;
    const sw = d[i + 3]!;
    const old = s[sw]!;
    this.store(s, sw, kind & 7, v, d[i + 1]!);
    if (hook !== 0) this.hooks!.afterWrite(hook, d[i + 5]!, (v & d[i + 2]!) >>> 0, old);
  }

  /** A 64-bit read at a 64-bit register's start (where check(offset, 8) passes); elsewhere refused (EIO), as a bus access there is. */
  read64(offset: number, out: Uint32Array): void {
    const c = this.regAt(offset >>> 2);
    if (c === UNKNOWN) {
      this.countUnknown(offset, false);
      out[0] = 0;
      out[1] = 0;
      return;
    }
    if (!c.wide || (offset & 7) !== 0) throw this.refused64(offset, false);
    if (c.read64 !== null) {
      c.read64(out, this.context);
      return;
    }
    const lo = this.read(offset, 4);
    out[1] = this.read(offset + 4, 4);
    out[0] = lo;
  }

  /** check(offset, 8) then read64, with one lookup for a 64-bit register (readq's fast path); false, nothing done, otherwise (the checked path decides). */
  tryRead64(offset: number, out: Uint32Array): boolean {
    const c = this.regAt(offset >>> 2);
    if (!c.wide || (offset & 7) !== 0) return false;
    if (c.read64 !== null) c.read64(out, this.context);
    else this.read64(offset, out);
    return true;
  }

  /** check(offset, 8, true) then write64, with one lookup for a 64-bit register (writeq's direct path); false, nothing done, otherwise (the checked path decides). */
  tryWrite64(offset: number, lo: number, hi: number): boolean {
    const d = this.writeDesc;
    const i = (offset >>> 2) * 8;
    const kind = i < d.length ? d[i]! : 0;
    if ((kind & 16) === 0 || (offset & 7) !== 0) return false;
    this.writeWide(d, i, kind, lo, hi);
    return true;
  }

  /** A 64-bit write at a 64-bit register's start (where check(offset, 8, true) passes); elsewhere refused (EIO) with nothing touched. */
  write64(offset: number, lo: number, hi: number): void {
    const d = this.writeDesc;
    const i = (offset >>> 2) * 8;
    const kind = i < d.length ? d[i]! : 0;
    if (kind === 0) {
      this.countUnknown(offset, true);
      return;
    }
    if ((kind & 16) === 0 || (offset & 7) !== 0) throw this.refused64(offset, true);
    this.writeWide(d, i, kind, lo, hi);
  }

  /** The 64-bit write of descriptor entry i (of a 64-bit register's first word, kind `kind`): both halves by the low word's register (its state words sw and sw + 1). */
  private writeWide(d: Int32Array, i: number, kind: number, lo: number, hi: number): void {
    const hook = d[i + 4]!;
    if ((kind & 8) !== 0) this.hooks!.beforeWrite(hook, d[i + 5]!);
    const s = this.state;
    const sw = d[i + 3]!;
    const old = s[sw]!;
    const keep = d[i + 1]!;
    this.store(s, sw, kind & 7, lo | 0, keep);
    this.store(s, sw + 1, kind & 7, hi | 0, keep);
    if (hook !== 0) this.hooks!.afterWrite(hook, d[i + 5]!, ((lo | hi) & d[i + 2]!) >>> 0, old);
  }

  /**
   * Apply word `v` to state word `sw` by a write descriptor's kind (2 masked, 3 W1S, 4 W1C; 1 ignored), changing only the bits in
   * `bits`. A method, not a module function: V8 checks a module function's binding on every call from optimised code.
   */
  private store(s: Uint32Array, sw: number, kind: number, v: number, bits: number): void {
    if (kind === 2) s[sw] = (s[sw]! & ~bits) | (v & bits);
    else if (kind === 3) s[sw] = s[sw]! | (v & bits);
    else if (kind === 4) s[sw] = s[sw]! & ~(v & bits);
  }

  private countUnknown(offset: number, write: boolean): void {
    (this.unknownCounts ??= new UnknownAccesses()).count(offset, write);
  }

  /** The stored state of a register's word, for the device model (no side effects). */
  peek(name: string, half: 0 | 1 = 0): number {
    return this.state[this.compiled(name).stateWord + half]!;
  }

  /** Set the stored state of a register's word from the device model (no side effects). */
  poke(name: string, value: number, half: 0 | 1 = 0): void {
    this.state[this.compiled(name).stateWord + half] = value >>> 0;
  }

  /** The state word index of a register, for device models that keep typed views. */
  stateWordOf(name: string): number {
    return this.compiled(name).stateWord;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private compiled(name: string): Reg {
    const c = this.byName.get(name);
    if (!c) throw kerr('ENOENT', `bank ${this.name} has no register ${name}`);
    return c;
  }
}
