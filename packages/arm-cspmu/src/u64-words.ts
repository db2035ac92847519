// A u64 held as a bigint, split into its two 32-bit words without BigInt arithmetic (open splits the event type and filters on every call).

/**
 * One 8-byte scratch, written as a u64 and read back as two u32 words:
 * storing a bigint into a BigUint64Array takes it modulo 2^64 as C's u64
 * conversion does, and reading the words back makes no BigInt. Number(),
 * `&` and `>>` on a bigint each cost a runtime call (and `&`, `>>` a new
 * bigint), several per open. Nothing here sleeps, so one scratch serves all.
 */
const scratch = new BigUint64Array(1);
const words = new Uint32Array(scratch.buffer);
/** The index of the low word: the buffer is in the host's byte order. */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Bits 0-31 of `v` (modulo 2^64) as a number. */
export function u64Low(v: bigint): number {
  scratch[0] = v;
  return words[LO]!;
}

/** Bits 32-63 of `v` (modulo 2^64) as a number. */
export function u64High(v: bigint): number {
  scratch[0] = v;
  return words[HI]!;
}

/** Both words of `v` (modulo 2^64) into `out.config` (low) and `out.configHi` (high). */
export function splitU64Into(out: { config: number; configHi: number }, v: bigint): void {
  scratch[0] = v;
  out.config = words[LO]!;
  out.configHi = words[HI]!;
}
