// The binary trace ring: preallocated records, overwrite or drop when full, with an exact count of lost records.
import { kerr } from '../base/errors.js';

export const TRACE_SLOTS = 8;

export type RingMode = 'overwrite' | 'drop';

/**
 * A fixed-size binary trace ring: each record is an event id, a timestamp, a
 * CPU, a pid and TRACE_SLOTS numbers, all in preallocated typed arrays, so
 * writing a record allocates nothing. When full, `overwrite` mode replaces
 * the oldest record and `drop` mode discards the new one; either way `lost`
 * counts exactly the records that are gone.
 */
export class RingBuffer {
  readonly ids: Uint16Array;
  readonly times: Float64Array;
  readonly cpus: Uint16Array;
  readonly pids: Int32Array;
  readonly slots: Float64Array;
  private head = 0;
  private size = 0;
  lost = 0;
  written = 0;

  constructor(
    readonly capacity: number,
    public mode: RingMode = 'overwrite',
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw kerr('EINVAL', `ring buffer capacity must be 1..16777216 records, got ${capacity}`);
    }
    this.ids = new Uint16Array(capacity);
    this.times = new Float64Array(capacity);
    this.cpus = new Uint16Array(capacity);
    this.pids = new Int32Array(capacity);
    this.slots = new Float64Array(capacity * TRACE_SLOTS);
  }

  get length(): number {
    return this.size;
  }

  /** Reserve the next record and set its id; the caller fills times/cpus/pids/slots. Returns the index, or -1 when dropped. */
  reserveSlot(id: number): number {
    let i: number;
    if (this.size === this.capacity) {
      this.lost++;
      if (this.mode === 'drop') return -1;
      i = this.head;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    } else {
      i = this.head + this.size;
      if (i >= this.capacity) i -= this.capacity;
      this.size++;
    }
    this.written++;
    this.ids[i] = id;
    return i;
  }

  /** Reserve the next record with its header; returns its index, or -1 when dropped. */
  reserve(id: number, timeNs: number, cpu: number, pid: number): number {
    const i = this.reserveSlot(id);
    if (i < 0) return -1;
    this.times[i] = timeNs;
    this.cpus[i] = cpu;
    this.pids[i] = pid;
    return i;
  }

  /** Index of the k-th oldest record. */
  indexAt(k: number): number {
    const i = this.head + k;
    return i >= this.capacity ? i - this.capacity : i;
  }

  /** Drop the oldest `n` records (after a consuming read). */
  discard(n: number): void {
    const k = Math.min(n, this.size);
    this.head = this.indexAt(k);
    this.size -= k;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.lost = 0;
  }
}
