// A register bank's compiled layout: register specs (access policies, hooks) compiled to a word-to-register dispatch that banks of one kind share.
import { kerr } from '@cspmu/kernel';
import { hex } from './bus-error.js';
/**
 * Access policies, in SystemRDL/UVM terms: RO read-only (writes ignored),
 * RW, WO (reads 0), W1S write-1-to-set, W1C write-1-to-clear, RAZ/WI.
 */
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
  /** Write-1 action bits: they always read as 0, and those written as 1 reach the write hook's afterWrite (so they need a writeHook). */
  readonly actionBits?: number;
  /** Share the state of another register: paired SET/CLR views over one bitmap. */
  readonly stateOf?: string;
  /** Accept 8- and 16-bit accesses. */
  readonly narrow?: boolean;
  // Every read hook also gets the bank's context (see RegisterBank), so one layout's hooks can serve many devices.
  /** Live value of a 32-bit word (half 0 = low, 1 = high), instead of the stored state. */
  read?(half: 0 | 1, context: C): number;
  /** A single-copy-atomic 64-bit read; without it a 64-bit read is two 32-bit reads, low first. */
  read64?(out: Uint32Array, context: C): void;
  /** Read side effect: the stored value is cleared after it is read. */
  readonly clearOnRead?: boolean;
  /**
   * What a write to this register does beyond its state: a nonzero code the
   * bank's context (its WriteHooks) dispatches on, with `hookArg` (which
   * counter or word of a group, say). Registers of one kind share a code.
   */
  readonly writeHook?: number;
  readonly hookArg?: number;
  /** Call the hook's beforeWrite too, for a side effect that must see the state the write replaces (folding a live count into it, say); otherwise only afterWrite runs, and it is given the word the write replaced. */
  readonly hookFirst?: boolean;
}

/**
 * The write side effects of a bank whose registers have write hooks, given
 * as its context: one object that dispatches on the register's hook code.
 * Every hooked write of every bank of a device model then makes the same
 * call on the same class of object, which V8 can inline, rather than a call
 * to one of many per-register closures, which it cannot.
 */
export interface WriteHooks {
  /** Before a write to a register with this hook and `hookFirst` is applied (e.g. to fold a live value into the state). */
  beforeWrite(hook: number, arg: number): void;
  /**
   * After a write has been applied to the state (once for a 64-bit write),
   * with its action bits written as 1 (0 if none) and the state word it
   * replaced (the low word for a 64-bit write): what a write changed is
   * then known without a call before it.
   */
  afterWrite(hook: number, arg: number, actions: number, old: number): void;
}

// Plain constants, not an enum: the hot path compares numbers, never looks up an object.
export const RO = 0;
export const RW = 1;
export const WO = 2;
export const W1S = 3;
export const W1C = 4;
export const RAZWI = 5;
const UNKNOWN_POL = 6;
type Pol = number;

const POLICY: Record<Access, Pol> = { RO, RW, WO, W1S, W1C, 'RAZ/WI': RAZWI };

/*
 * A write's descriptor, WRITE_STRIDE int32 numbers per 32-bit word of the
 * bank (see BankLayout.writeDesc): typed-array loads and literal compares
 * on the write path, where a Reg's fields and these module constants would
 * each cost V8 a map or hole check. RegisterBank.write reads the slots and
 * kinds as the literals they are here (test/write-descriptor.spec.ts pins both).
 */
/** Slot 0: how the word takes a write (WRITE_*), plus WRITE_HOOK_FIRST and WRITE_WIDE. 0: no register there. */
export const WRITE_IGNORED = 1;
export const WRITE_MASKED = 2;
export const WRITE_SET = 3;
export const WRITE_CLEAR = 4;
export const WRITE_HOOK_FIRST = 8;
/** The word is part of a 64-bit register. */
export const WRITE_WIDE = 16;
/** Slot 1: the bits a write may change (for RW/WO, the writable bits that are not action bits). Slot 2: the action bits. Slot 3: the state word. Slot 4: the write hook's code (0: none). Slot 5: its argument. */
export const WRITE_STRIDE = 8;
const HOOK_LIMIT = 0x7fffffff;

/** A register compiled to one fixed shape, so the hot path stays monomorphic. */
export class Reg {
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
    /** The write hook's code (0: none) and argument. */
    readonly hook: number,
    readonly hookArg: number,
    /** beforeWrite runs too (RegisterSpec.hookFirst). */
    readonly hookFirst: boolean,
  ) {}
}

const UNKNOWN_SPEC: RegisterSpec = { name: '<unknown>', offset: 0, access: 'RAZ/WI' };
export const UNKNOWN = new Reg(UNKNOWN_SPEC, UNKNOWN_POL, 0, 0, false, 0, 0, false, false, null, null, 0, 0, false);

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
  /** True if a register has a write hook: a bank of this layout then needs WriteHooks as its context. */
  readonly hooked: boolean;
  /** Per word, WRITE_STRIDE numbers: what a write to it does (see WRITE_STRIDE). */
  readonly writeDesc: Int32Array;

  constructor(
    readonly name: string,
    readonly size: number,
    specs: readonly RegisterSpec[],
  ) {
    if (!Number.isInteger(size) || size <= 0 || size % 4 !== 0) throw kerr('EINVAL', `bank ${name}: size must be a positive multiple of 4`);
    this.regOfWord = new Uint16Array(size / 4);
    this.plainBits = new Uint32Array(Math.ceil(size / 128));
    for (const spec of specs) this.declare(spec);
    this.hooked = this.regs.some((c) => c.hook !== 0);
    this.writeDesc = new Int32Array((size / 4) * WRITE_STRIDE);
    for (let w = 0; w < this.regOfWord.length; w++) {
      const c = this.regs[this.regOfWord[w]!]!;
      // A view of another register's state (a CLR of a SET/CLR pair) reads elsewhere, so through readSlow.
      const own = c.stateWord === c.firstWord;
      if (c !== UNKNOWN && own && c.read === null && !c.clearOnRead && (c.pol === RW || c.pol === RO || c.pol === W1S || c.pol === W1C)) {
        this.plainBits[w >>> 5]! |= 1 << (w & 31);
      }
      if (c !== UNKNOWN) describeWrite(this.writeDesc, w * WRITE_STRIDE, c, c.stateWord + (w - c.firstWord));
    }
  }

  private declare(spec: RegisterSpec): void {
    const width = spec.width ?? 32;
    const bytes = width / 8;
    if (!Number.isInteger(spec.offset) || spec.offset < 0 || spec.offset + bytes > this.size || spec.offset % bytes !== 0) {
      throw kerr('EINVAL', `bank ${this.name}: register ${spec.name} at ${hex(spec.offset)} must be ${bytes}-aligned and inside the bank`);
    }
    if (this.byName.has(spec.name)) throw kerr('EEXIST', `bank ${this.name}: register ${spec.name} is declared twice`);
    const hook = spec.writeHook ?? 0;
    if (!Number.isInteger(hook) || hook < 0)
      throw kerr('EINVAL', `bank ${this.name}: ${spec.name}'s write hook must be a code >= 1 (or 0 for none), got ${hook}`);
    const arg = spec.hookArg ?? 0;
    if (!Number.isInteger(arg) || arg < 0) throw kerr('EINVAL', `bank ${this.name}: ${spec.name}'s hookArg must be an integer >= 0, got ${arg}`);
    // Both are kept as int32 in the write descriptor.
    if (hook > HOOK_LIMIT || arg > HOOK_LIMIT)
      throw kerr('EINVAL', `bank ${this.name}: ${spec.name}'s write hook code and hookArg must be at most 2^31-1, got ${hook} and ${arg}`);
    const closures = ['beforeWrite', 'onWrite', 'onAction'].filter((k) => k in spec);
    if (closures.length > 0) {
      throw kerr(
        'EINVAL',
        `bank ${this.name}: ${spec.name} has ${closures.join(', ')}; write hooks are codes now: give writeHook (and hookArg) and let the bank's context dispatch them`,
      );
    }
    if (spec.hookFirst === true && hook === 0) throw kerr('EINVAL', `bank ${this.name}: ${spec.name} has hookFirst but no write hook to call first`);
    if ((spec.actionBits ?? 0) !== 0 && hook === 0) throw kerr('EINVAL', `bank ${this.name}: ${spec.name} has action bits but no write hook to act on them`);
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
      hook,
      arg,
      spec.hookFirst === true,
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

/** Fill word w's write descriptor (at `at` in `desc`) from its register, whose state for this word is `stateWord`. */
function describeWrite(desc: Int32Array, at: number, c: Reg, stateWord: number): void {
  let kind: number;
  let keep = c.mask;
  if (c.pol === RW || c.pol === WO) {
    kind = WRITE_MASKED;
    keep = (c.mask & ~c.action) >>> 0;
  } else if (c.pol === W1S) kind = WRITE_SET;
  else if (c.pol === W1C) kind = WRITE_CLEAR;
  else kind = WRITE_IGNORED;
  desc[at] = kind | (c.hookFirst ? WRITE_HOOK_FIRST : 0) | (c.wide ? WRITE_WIDE : 0);
  desc[at + 1] = keep | 0;
  desc[at + 2] = c.action | 0;
  desc[at + 3] = stateWord;
  desc[at + 4] = c.hook;
  desc[at + 5] = c.hookArg;
}
