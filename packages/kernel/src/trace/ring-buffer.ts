// The binary trace ring: preallocated 48-byte records, overwrite or drop when full, with an exact count of lost records.
import { kerr } from '../base/errors.js';

/**
 * A record is RECORD_WORDS 32-bit words of one ArrayBuffer: its time as a
 * double in words 0-1 (8-byte aligned, since the stride is even), its header
 * (event id in the low 16 bits, CPU in the high 16) in word 2, and its fields
 * in words FIRST_FIELD_WORD up (see record-layout.ts for where each goes).
 */
export const RECORD_WORDS = 12;
export const FIRST_FIELD_WORD = 3;
/**
 * A record's last word, when its event's layout leaves it free (at most
 * eight field words): 1 says the record's fields are in the next record
 * (the same names, of an event that has them all), 0 that they are its own.
 * A writer of two records at once whose second carries every field of the
 * first writes the first as its time, header and this word only; the
 * second is newer, so it is held whenever the first is. reserve() sets 0.
 */
export const LINK_WORD = 11;
const HEADER_WORD = 2;
/** Event ids and CPU numbers share the header word: each must be below this. */
export const RECORD_ID_LIMIT = 65536;

export type RingMode = 'overwrite' | 'drop';

/**
 * A fixed-size binary trace ring: each record is a timestamp, a header and
 * up to RECORD_WORDS - FIRST_FIELD_WORD words of fields, side by side in one
 * preallocated buffer seen as 32-bit words (`words`) and as doubles
 * (`doubles`, for the time and the fields that need a whole double), so
 * writing a record allocates nothing. At 48 bytes a record, the default
 * 65,536-record ring is 3 MB: a traced read's two records are a cache line
 * and a half of stores. When full,
 * `overwrite` mode replaces the oldest record and `drop` mode discards the
 * new one; either way `lost` counts exactly the records that are gone.
 *
 * Writing a record updates one counter: `written`, the absolute number of
 * the next record, whose place is `written & mask` in storage rounded up to
 * a power of two. How many are held, where the oldest is and how many were
 * overwritten follow from `written` and `start` (the absolute number of the
 * oldest record not yet read or cleared) when asked, so a record's cost is
 * its own stores, not a chain of counters each depending on the last.
 */
export class RingBuffer {
  /** The records as 32-bit words: record r starts at word r * RECORD_WORDS. */
  readonly words: Uint32Array;
  /** The same records as doubles: record r's time is doubles[r * RECORD_WORDS / 2]. */
  readonly doubles: Float64Array;
  /** Storage size in records, minus one (a power of two minus one, below 2^24). */
  readonly mask: number;
  /** Absolute number of the oldest record not consumed, or cleared; records before written - capacity are gone. */
  private start = 0;
  /** Records counted lost before the last settle(); overwritten ones since are written - start - capacity. */
  private lostBefore = 0;
  /** Drop mode: a full ring refuses new records (else they overwrite the oldest). */
  private dropping: boolean;
  written = 0;

  constructor(
    readonly capacity: number,
    mode: RingMode = 'overwrite',
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw kerr('EINVAL', `ring buffer capacity must be 1..16777216 records, got ${capacity}`);
    }
    let size = 1;
    while (size < capacity) size *= 2;
    this.mask = size - 1;
    const buffer = new ArrayBuffer(size * RECORD_WORDS * 4);
    this.words = new Uint32Array(buffer);
    this.doubles = new Float64Array(buffer);
    this.dropping = mode === 'drop';
  }

  get mode(): RingMode {
    return this.dropping ? 'drop' : 'overwrite';
  }

  set mode(mode: RingMode) {
    this.dropping = mode === 'drop';
  }

  /** Records held (at most the capacity). */
  get length(): number {
    return Math.min(this.written - this.start, this.capacity);
  }

  /** Records overwritten unread (overwrite mode) or refused (drop mode). */
  get lost(): number {
    return this.lostBefore + Math.max(0, this.written - this.start - this.capacity);
  }

  /** Count the overwritten records as lost and move start past them. */
  private settle(): void {
    const over = this.written - this.start - this.capacity;
    if (over > 0) {
      this.lostBefore += over;
      this.start += over;
    }
  }

  /**
   * Reserve the next record and write its time and header (`id` and `cpu`
   * each below RECORD_ID_LIMIT); returns the word where the record starts
   * (its fields are FIRST_FIELD_WORD words on), or -1 when dropped.
   */
  reserve(id: number, timeNs: number, cpu: number): number {
    const w = this.written;
    if (this.dropping === true && w - this.start >= this.capacity) {
      this.lostBefore++;
      return -1;
    }
    this.written = w + 1;
    // Literals, not the constants above: V8 loads an imported or exported module constant from its cell, with a hole check, at each use.
    // The mask is under 2^24 (capacity's limit); saying so lets V8 drop the overflow checks on the record's indices.
    const r = w & this.mask & 0xffffff;
    this.doubles[r * 6] = timeNs;
    const b = r * 12;
    this.words[b + 2] = id | (cpu << 16);
    this.words[b + 11] = 0; // LINK_WORD: the record's fields are its own (a field in that word overwrites it)
    return b;
  }

  /**
   * Claim `n` records at once for a writer that fills them itself (time,
   * header, fields and LINK_WORD): returns the absolute number of the first (record k
   * of them is at word ((first + k) & mask) * RECORD_WORDS), or -1 with
   * nothing claimed when fewer than `n` fit in drop mode (the writer then
   * reserves them one by one, so exactly the ones that fit are kept).
   */
  claim(n: number): number {
    const w = this.written;
    if (this.dropping === true && w - this.start + n > this.capacity) return -1;
    this.written = w + n;
    return w;
  }

  /** Index of the k-th oldest record held. */
  indexAt(k: number): number {
    return (this.written - this.length + k) & this.mask;
  }

  /** Record i's event id. */
  idAt(i: number): number {
    return this.words[i * RECORD_WORDS + HEADER_WORD]! & (RECORD_ID_LIMIT - 1);
  }

  /** Record i's CPU. */
  cpuAt(i: number): number {
    return this.words[i * RECORD_WORDS + HEADER_WORD]! >>> 16;
  }

  /** Record i's timestamp. */
  timeAt(i: number): number {
    return this.doubles[(i * RECORD_WORDS) / 2]!;
  }

  /** Does record i (whose event's layout leaves LINK_WORD free) have its fields in the next record? */
  linkedAt(i: number): boolean {
    return this.words[i * RECORD_WORDS + LINK_WORD] === 1;
  }

  /** The word where record i starts. */
  recordAt(i: number): number {
    return i * RECORD_WORDS;
  }

  /** Drop the oldest `n` records (after a consuming read). */
  discard(n: number): void {
    this.settle();
    this.start += Math.min(n, this.written - this.start);
  }

  /** Count `n` records a consuming read discarded without reading (they could not be read) as lost. */
  countLost(n: number): void {
    this.lostBefore += n;
  }

  clear(): void {
    this.start = this.written;
    this.lostBefore = 0;
  }
}
