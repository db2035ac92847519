// Where each field of a trace event goes in a ring record's words, and how its values are written there and read back.
import { kerr } from '../base/errors.js';
import { FIRST_FIELD_WORD, LINK_WORD, RECORD_WORDS, type RingBuffer } from './ring-buffer.js';
import type { TraceField } from './trace-filter.js';

/** Values an event is emitted with: one per num, u32 or str field, two (low, high) per u64 field. */
export const TRACE_SLOTS = 8;

/** Where one field's value is in a record (words from the record's start). */
export interface FieldPlace {
  readonly kind: TraceField['kind'];
  /** The field's word; for a u64 its low word; for a num the first of its two (a double). */
  readonly word: number;
  /** A u64's high word (-1 otherwise). */
  readonly hiWord: number;
}

/**
 * An event's record layout. A `num` field is a double (any number, exact)
 * at an even word; `u32` and `str` fields take one 32-bit word, a `u64` two
 * (low, high: exact to 2^64 - 1). Doubles go first at even words from
 * FIRST_FIELD_WORD + 1; the one-word values fill the words left, in field
 * order (so an event with no num field has its words in field order from
 * FIRST_FIELD_WORD: what the rwmmio writers rely on).
 */
export class RecordLayout {
  readonly places = new Map<string, FieldPlace>();
  /** Slot s (the s-th value emitted) goes to word slotWord[s]; slotDouble[s] is 1 if as a double. */
  readonly slotWord = new Int32Array(TRACE_SLOTS);
  readonly slotDouble = new Uint8Array(TRACE_SLOTS);
  readonly slots: number;
  /** No field is at LINK_WORD, so a record of this event may have its fields in the next record (see LINK_WORD). */
  readonly linkable: boolean;

  constructor(eventName: string, fields: readonly TraceField[]) {
    let slots = 0;
    let doubles = 0;
    for (const f of fields) {
      slots += f.kind === 'u64' ? 2 : 1;
      if (f.kind === 'num') doubles++;
    }
    if (slots > TRACE_SLOTS) throw kerr('EINVAL', `trace event '${eventName}' needs ${slots} slots; at most ${TRACE_SLOTS}`);
    const firstDouble = FIRST_FIELD_WORD + (FIRST_FIELD_WORD % 2);
    const free: number[] = [];
    for (let w = FIRST_FIELD_WORD; w < firstDouble; w++) free.push(w);
    for (let w = firstDouble + 2 * doubles; w < RECORD_WORDS; w++) free.push(w);
    const words = 2 * doubles + slots - doubles;
    if (firstDouble + 2 * doubles > RECORD_WORDS || slots - doubles > free.length) {
      throw kerr('EINVAL', `trace event '${eventName}' needs ${words} words of a record; at most ${RECORD_WORDS - FIRST_FIELD_WORD}`);
    }
    let nextDouble = firstDouble;
    let slot = 0;
    for (const f of fields) {
      if (f.kind === 'num') {
        this.places.set(f.name, { kind: f.kind, word: nextDouble, hiWord: -1 });
        this.slotWord[slot] = nextDouble;
        this.slotDouble[slot++] = 1;
        nextDouble += 2;
      } else if (f.kind === 'u64') {
        const lo = free.shift()!;
        const hi = free.shift()!;
        this.places.set(f.name, { kind: f.kind, word: lo, hiWord: hi });
        this.slotWord[slot++] = lo;
        this.slotWord[slot++] = hi;
      } else {
        const w = free.shift()!;
        this.places.set(f.name, { kind: f.kind, word: w, hiWord: -1 });
        this.slotWord[slot++] = w;
      }
    }
    this.slots = slot;
    this.linkable = free.includes(LINK_WORD);
  }

  /**
   * Write the values in `values` (slot order) into the record at word `b`.
   * A one-word slot keeps its value modulo 2^32 (as a u32 store does); see
   * wrapWords for making a filter see the same.
   */
  write(ring: RingBuffer, b: number, values: Float64Array): void {
    const words = ring.words;
    const doubles = ring.doubles;
    for (let s = 0; s < this.slots; s++) {
      const w = b + this.slotWord[s]!;
      if (this.slotDouble[s] === 1) doubles[w >> 1] = values[s]!;
      else words[w] = values[s]!;
    }
  }

  /** Make each one-word slot of `values` what the record will hold (its value modulo 2^32), so a filter judges the stored record. */
  wrapWords(values: Float64Array): void {
    for (let s = 0; s < this.slots; s++) if (this.slotDouble[s] === 0) values[s] = values[s]! >>> 0;
  }
}
