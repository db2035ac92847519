// Where a PMU model keeps each counter: its stored words in a register bank's state, and its dense slot in the per-counter state of the model's parts.

/**
 * Where a model keeps each counter: its stored value in 32-bit words of a register bank's state, and its slot in the per-counter state the model's parts
 * keep densely (implemented counters only: a cycle counter at 31 does not make room for 25 counters that do not exist). The indexes are the same for
 * every device of one kind, and shared by them.
 */
export interface CounterStorage {
  readonly words: Uint32Array;
  readonly index: CounterIndex;
}

/** Where each physical counter's state is, for one kind of device (shared, never written after it is made). */
export interface CounterIndex {
  /** Per physical counter up to the highest implemented one: the state word of its low half, or -1 if it is not implemented. */
  readonly wordOf: Int32Array;
  /** Per physical counter: its dense slot, 0..slots-1 (meaningful only where wordOf is not -1). */
  readonly slotOf: Uint8Array;
  /** Implemented counters. */
  readonly slots: number;
}
