// The binary trace ring: preallocated records, overwrite or drop when full, with an exact count of lost records.
import { kerr } from '../base/errors.js';

export const TRACE_SLOTS = 8;
/** A record in `RingBuffer.recs`: its time, its header (event id and CPU), then TRACE_SLOTS field slots. */
const RECORD_TIME = 0;
const RECORD_HEADER = 1;
const RECORD_FIELDS = 2;
const RECORD_STRIDE = RECORD_FIELDS + TRACE_SLOTS;
/** The header packs the CPU above the 16-bit event id (an exact integer in a double). */
const CPU_SHIFT = 65536;

export type RingMode = 'overwrite' | 'drop';

/**
 * A fixed-size binary trace ring: each record is a timestamp, a header (the
 * event id and the CPU) and TRACE_SLOTS numbers, side by side in one
 * preallocated Float64Array, so writing a record allocates nothing and
 * touches one array. When full, `overwrite` mode replaces the oldest record
 * and `drop` mode discards the new one; either way `lost` counts exactly the
 * records that are gone.
 *
 * Writing a record updates one counter: `written`, the absolute number of
 * the next record, whose place is `written & mask` in storage rounded up to
 * a power of two. How many are held, where the oldest is and how many were
 * overwritten follow from `written` and `start` (the absolute number of the
 * oldest record not yet read or cleared) when asked, so a record's cost is
 * its own stores, not a chain of counters each depending on the last.
 */
export class RingBuffer {
  readonly recs: Float64Array;
  private readonly mask: number;
  /** Absolute number of the oldest record not consumed, or cleared; records before written - capacity are gone. */
  private start = 0;
  /** Records counted lost before the last settle(); overwritten ones since are written - start - capacity. */
  private lostBefore = 0;
  /** In drop mode, how many unread records make the ring full; Infinity in overwrite mode. */
  private dropAt: number;
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
    this.recs = new Float64Array(size * RECORD_STRIDE);
    this.dropAt = mode === 'drop' ? capacity : Number.POSITIVE_INFINITY;
  }

  get mode(): RingMode {
    return this.dropAt === this.capacity ? 'drop' : 'overwrite';
  }

  set mode(mode: RingMode) {
    this.dropAt = mode === 'drop' ? this.capacity : Number.POSITIVE_INFINITY;
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
   * Reserve the next record and write its time and header; returns where its
   * fields start in `recs` (the caller writes them), or -1 when dropped.
   */
  reserve(id: number, timeNs: number, cpu: number): number {
    const w = this.written;
    if (w - this.start >= this.dropAt) {
      this.lostBefore++;
      return -1;
    }
    this.written = w + 1;
    // Literals, not the constants above: V8 loads an imported or exported module constant from its cell, with a hole check, at each use.
    // The mask is under 2^24 (capacity's limit); saying so lets V8 drop the overflow checks on the record's indices.
    const b = (w & this.mask & 0xffffff) * 10;
    const r = this.recs;
    r[b] = timeNs;
    r[b + 1] = id + cpu * 65536;
    return b + 2;
  }

  /** Index of the k-th oldest record held. */
  indexAt(k: number): number {
    return (this.written - this.length + k) & this.mask;
  }

  /** Record i's event id. */
  idAt(i: number): number {
    return this.recs[i * RECORD_STRIDE + RECORD_HEADER]! % CPU_SHIFT;
  }

  /** Record i's CPU. */
  cpuAt(i: number): number {
    return Math.floor(this.recs[i * RECORD_STRIDE + RECORD_HEADER]! / CPU_SHIFT);
  }

  /** Record i's timestamp. */
  timeAt(i: number): number {
    return this.recs[i * RECORD_STRIDE + RECORD_TIME]!;
  }

  /** Where record i's fields start in `recs`. */
  fieldsAt(i: number): number {
    return i * RECORD_STRIDE + RECORD_FIELDS;
  }

  /** Drop the oldest `n` records (after a consuming read). */
  discard(n: number): void {
    this.settle();
    this.start += Math.min(n, this.written - this.start);
  }

  clear(): void {
    this.start = this.written;
    this.lostBefore = 0;
  }
}
