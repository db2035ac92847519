// A bank of 32- and 64-bit registers with access policies (RO, RW, WO, W1S, W1C, RAZ/WI) and write actions, mapped as an MMIO device.
import { kerr } from '@cspmu/kernel';
import { hex } from './bus-error.js';
import type { AccessWidth, MmioDevice, ReadShadow } from './device.js';
import { type UnknownAccessCount, UnknownAccesses } from './unknown-accesses.js';

export type { UnknownAccessCount } from './unknown-accesses.js';

/** Access policies, in SystemRDL/UVM terms: RO read-only (writes ignored), RW, WO (reads 0), W1S write-1-to-set, W1C write-1-to-clear, RAZ/WI. */
export type Access = 'RO' | 'RW' | 'WO' | 'W1S' | 'W1C' | 'RAZ/WI';

export interface RegisterSpec<C = unknown> {
  readonly name: string;
  /** Byte offset in the bank; 4-aligned (8-aligned for 64-bit registers). */
  readonly offset: number;
  readonly width?: 32 | 64;
  readonly access: Access;
  /** Reset value (low word for 64-bit registers). */
  readonly reset?: number;
  readonly resetHi?: number;
  /** Bits that take writes (RW, WO, W1S, W1C); the rest keep their value. */
  readonly writableMask?: number;
  /** Write-1 action bits: writing 1 calls `onAction`; they always read as 0. */
  readonly actionBits?: number;
  /** Share the state of another register: paired SET/CLR views over one bitmap. */
  readonly stateOf?: string;
  /** Accept 8- and 16-bit accesses. */
  readonly narrow?: boolean;
  // Every hook also gets the bank's context (see RegisterBank), so one layout's hooks can serve many devices.
  /** Live value of a 32-bit word (half 0 = low, 1 = high), instead of the stored state. */
  read?(half: 0 | 1, context: C): number;
  /** A single-copy-atomic 64-bit read; without it a 64-bit read is two 32-bit reads, low first. */
  read64?(out: Uint32Array, context: C): void;
  /** Read side effect: the stored value is cleared after it is read. */
  readonly clearOnRead?: boolean;
  /** Called before a write is applied (e.g. to fold a live value into the state). */
  beforeWrite?(context: C): void;
  /** Called after a write has been applied to the state (once for a 64-bit write). */
  onWrite?(context: C): void;
  onAction?(bits: number, context: C): void;
}

// Plain constants, not an enum: the hot path compares numbers, never looks up an object.
const RO = 0;
const RW = 1;
const WO = 2;
const W1S = 3;
const W1C = 4;
const RAZWI = 5;
const UNKNOWN_POL = 6;
type Pol = number;

const POLICY: Record<Access, Pol> = { RO, RW, WO, W1S, W1C, 'RAZ/WI': RAZWI };

/** A register compiled to one fixed shape, so the hot path stays monomorphic. */
class Reg {
  constructor(
    readonly spec: RegisterSpec,
    readonly pol: Pol,
    /** State word of the low half (of the register whose state this is). */
    readonly stateWord: number,
    /** First word of this register's own offset. */
    readonly firstWord: number,
    readonly wide: boolean,
    readonly mask: number,
    readonly action: number,
    readonly narrow: boolean,
    readonly clearOnRead: boolean,
    readonly read: ((half: 0 | 1, context: unknown) => number) | null,
    readonly read64: ((out: Uint32Array, context: unknown) => void) | null,
    readonly beforeWrite: ((context: unknown) => void) | null,
    readonly onWrite: ((context: unknown) => void) | null,
    readonly onAction: ((bits: number, context: unknown) => void) | null,
  ) {}
}

const UNKNOWN_SPEC: RegisterSpec = { name: '<unknown>', offset: 0, access: 'RAZ/WI' };
const UNKNOWN = new Reg(UNKNOWN_SPEC, UNKNOWN_POL, 0, 0, false, 0, 0, false, false, null, null, null, null, null);

const NO_UNKNOWN_ACCESSES: ReadonlyMap<number, UnknownAccessCount> = new Map();

/**
 * A bank's compiled register layout: the registers, the word-to-register
 * dispatch and the plain-read flags. It holds no state, so every bank of
 * one kind of device can share one layout (and its hooks, which reach
 * their device through the bank's context).
 */
export class BankLayout {
  readonly regOfWord: Uint16Array;
  /** Bit w & 31 of plainBits[w >>> 5] is set if a 32-bit read of word w returns state[w] and does nothing else (no hook, side effect, zero read or unknown offset). */
  readonly plainBits: Uint32Array;
  readonly regs: Reg[] = [UNKNOWN];
  readonly byName = new Map<string, Reg>();

  constructor(
    readonly name: string,
    readonly size: number,
    specs: readonly RegisterSpec[],
  ) {
    if (!Number.isInteger(size) || size <= 0 || size % 4 !== 0) throw kerr('EINVAL', `bank ${name}: size must be a positive multiple of 4`);
    this.regOfWord = new Uint16Array(size / 4);
    this.plainBits = new Uint32Array(Math.ceil(size / 128));
    for (const spec of specs) this.declare(spec);
    for (let w = 0; w < this.regOfWord.length; w++) {
      const c = this.regs[this.regOfWord[w]!]!;
      // A view of another register's state (a CLR of a SET/CLR pair) reads elsewhere, so through readSlow.
      const own = c.stateWord === c.firstWord;
      if (c !== UNKNOWN && own && c.read === null && !c.clearOnRead && (c.pol === RW || c.pol === RO || c.pol === W1S || c.pol === W1C)) {
        this.plainBits[w >>> 5]! |= 1 << (w & 31);
      }
    }
  }

  private declare(spec: RegisterSpec): void {
    const width = spec.width ?? 32;
    const bytes = width / 8;
    if (!Number.isInteger(spec.offset) || spec.offset < 0 || spec.offset + bytes > this.size || spec.offset % bytes !== 0) {
      throw kerr('EINVAL', `bank ${this.name}: register ${spec.name} at ${hex(spec.offset)} must be ${bytes}-aligned and inside the bank`);
    }
    if (this.byName.has(spec.name)) throw kerr('EEXIST', `bank ${this.name}: register ${spec.name} is declared twice`);
    let stateWord = spec.offset >>> 2;
    if (spec.stateOf !== undefined) {
      const owner = this.byName.get(spec.stateOf);
      if (!owner) throw kerr('EINVAL', `bank ${this.name}: ${spec.name} shares the state of unknown register ${spec.stateOf}; declare it first`);
      stateWord = owner.stateWord;
    }
    const c = new Reg(
      spec,
      POLICY[spec.access],
      stateWord,
      spec.offset >>> 2,
      width === 64,
      (spec.writableMask ?? 0xffffffff) >>> 0,
      (spec.actionBits ?? 0) >>> 0,
      spec.narrow ?? false,
      spec.clearOnRead ?? false,
      spec.read ?? null,
      spec.read64 ?? null,
      spec.beforeWrite ?? null,
      spec.onWrite ?? null,
      spec.onAction ?? null,
    );
    if (this.regs.length > 0xfffe) throw kerr('ENOSPC', `bank ${this.name}: too many registers`);
    const idx = this.regs.length;
    this.regs.push(c);
    this.byName.set(spec.name, c);
    for (let w = spec.offset >>> 2; w < (spec.offset + bytes) >>> 2; w++) {
      if (this.regOfWord[w] !== 0) {
        throw kerr('EEXIST', `bank ${this.name}: ${spec.name} at ${hex(spec.offset)} overlaps ${this.regs[this.regOfWord[w]!]!.spec.name}`);
      }
      this.regOfWord[w] = idx;
    }
  }
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
  private readonly plainBits: Uint32Array;
  /** The plain reads as the accessors' fast path takes them: over the live state, so never stale. */
  readonly readShadow: ReadShadow;
  private readonly regs: Reg[];
  private readonly byName: Map<string, Reg>;
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
    this.plainBits = layout.plainBits;
    this.regs = layout.regs;
    this.byName = layout.byName;
    this.readShadow = { bits: layout.plainBits, words: this.state };
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

  check(offset: number, width: AccessWidth, _write: boolean): string | undefined {
    const c = this.regs[this.regOfWord[offset >>> 2]!]!;
    if (c === UNKNOWN) return undefined;
    if (width < 4 && !c.narrow) return `${c.spec.name} does not accept ${width * 8}-bit accesses`;
    if (width === 8 && !c.wide) return `${c.spec.name} is a 32-bit register; a 64-bit access is not allowed`;
    return undefined;
  }

  read(offset: number, width: 1 | 2 | 4): number {
    if (((this.plainBits[offset >>> 7]! >>> (offset >>> 2)) & 1) === 1 && width === 4) return this.state[offset >>> 2]!;
    return this.readSlow(offset, width);
  }

  /** Hooks, side effects, zero reads, narrow widths and unknown offsets. */
  private readSlow(offset: number, width: 1 | 2 | 4): number {
    const w = offset >>> 2;
    const c = this.regs[this.regOfWord[w]!]!;
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

  write(offset: number, width: 1 | 2 | 4, value: number): void {
    const w = offset >>> 2;
    const c = this.regs[this.regOfWord[w]!]!;
    if (c === UNKNOWN) {
      this.countUnknown(offset, true);
      return;
    }
    if (c.beforeWrite !== null) c.beforeWrite(this.context);
    let v = value >>> 0;
    let lanes = 0xffffffff;
    if (width < 4) {
      const shift = (offset & 3) * 8;
      lanes = ((width === 1 ? 0xff : 0xffff) << shift) >>> 0;
      v = (v << shift) >>> 0;
    }
    this.apply(c, c.stateWord + (w - c.firstWord), v, lanes);
    if (c.onWrite !== null) c.onWrite(this.context);
  }

  read64(offset: number, out: Uint32Array): void {
    const c = this.regs[this.regOfWord[offset >>> 2]!]!;
    if (c === UNKNOWN) {
      this.countUnknown(offset, false);
      out[0] = 0;
      out[1] = 0;
      return;
    }
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
    const c = this.regs[this.regOfWord[offset >>> 2]!]!;
    if (c.read64 !== null && c.wide) c.read64(out, this.context);
    else if (c.wide) this.read64(offset, out);
    else return false;
    return true;
  }

  write64(offset: number, lo: number, hi: number): void {
    const c = this.regs[this.regOfWord[offset >>> 2]!]!;
    if (c === UNKNOWN) {
      this.countUnknown(offset, true);
      return;
    }
    if (c.beforeWrite !== null) c.beforeWrite(this.context);
    this.apply(c, c.stateWord, lo >>> 0, 0xffffffff);
    this.apply(c, c.stateWord + 1, hi >>> 0, 0xffffffff);
    if (c.onWrite !== null) c.onWrite(this.context);
  }

  private apply(c: Reg, sw: number, v: number, lanes: number): void {
    const s = this.state;
    switch (c.pol) {
      case RO:
      case RAZWI:
        break;
      case RW:
      case WO: {
        const m = (c.mask & lanes & ~c.action) >>> 0;
        s[sw] = ((s[sw]! & ~m) | (v & m)) >>> 0;
        break;
      }
      case W1S:
        s[sw] = (s[sw]! | (v & lanes & c.mask)) >>> 0;
        break;
      case W1C:
        s[sw] = (s[sw]! & ~(v & lanes & c.mask)) >>> 0;
        break;
    }
    const act = (v & c.action & lanes) >>> 0;
    if (act !== 0 && c.onAction !== null) c.onAction(act, this.context);
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
