// tracefs: tracepoints with interned strings, their enable and filter files, the ring, and the formatted trace text.
import { describeValue, kerr } from '../base/errors.js';
import { compileGlob } from '../base/glob.js';
import type { WorkCounter } from '../time/work.js';
import { kernelFunctionName } from './kfunc.js';
import { RecordLayout, TRACE_SLOTS } from './record-layout.js';
import { RecordText } from './record-text.js';
import { RECORD_ID_LIMIT, RingBuffer, type RingMode } from './ring-buffer.js';
import { compileTraceFilter, type SlotPredicate, type TraceField } from './trace-filter.js';

export interface TraceEventDef {
  readonly system: string;
  readonly name: string;
  readonly fields: readonly TraceField[];
  /** Render one record's body; `v(name)` gives a numeric field, `s(name)` a string field, `hex64(name)` a u64. */
  readonly format: (r: TraceRecordReader) => string;
}

export interface TraceRecordReader {
  /** When the record was written. */
  readonly timeNs: number;
  num(field: string): number;
  str(field: string): string;
  u64(field: string): bigint;
}

/** Interned strings, so records carry numbers only; ids from KERNEL_FUNCTION_IDS up name kernel functions, the same on every machine. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
  get(id: number): string {
    return this.strings[id] ?? kernelFunctionName(id) ?? `?${id}`;
  }
}

/**
 * One tracepoint. Call sites test `enabled` (one branch when off) and then
 * call `emit` with up to eight numbers; nothing is allocated and nothing is
 * formatted until the buffer is read.
 */
export class Tracepoint {
  private on = false;
  /** Told when the tracepoint is switched on or off or its filter is set or cleared (so hot paths can keep one combined flag). */
  onChange: (() => void) | undefined;
  private filter: SlotPredicate | null = null;
  filterText = '';
  hits = 0;

  constructor(
    readonly id: number,
    readonly def: TraceEventDef,
    /** Where each field goes in the event's records. */
    readonly layout: RecordLayout,
    private readonly fs: TraceFs,
  ) {}

  get enabled(): boolean {
    return this.on;
  }

  set enabled(v: boolean) {
    if (this.on === v) return;
    this.on = v;
    this.onChange?.();
  }

  get fullName(): string {
    return `${this.def.system}:${this.def.name}`;
  }

  emit(a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0): void {
    if (!this.on) return;
    const scratch = this.fs.scratch;
    scratch[0] = a;
    scratch[1] = b;
    scratch[2] = c;
    scratch[3] = d;
    scratch[4] = e;
    scratch[5] = f;
    scratch[6] = g;
    scratch[7] = h;
    this.keep(scratch);
  }

  /**
   * Emit the record prepared in `slots` (TRACE_SLOTS numbers, in field
   * order). Hot paths fill a preallocated array and call this, so no number
   * is boxed on the way.
   */
  emitSlots(slots: Float64Array): void {
    if (!this.on) return;
    const scratch = this.fs.scratch;
    if (slots !== scratch) scratch.set(slots);
    this.keep(scratch);
  }

  /** Filter (as the record will hold the values) and write the record held in `values`. */
  private keep(values: Float64Array): void {
    if (this.filter !== null) {
      this.layout.wrapWords(values);
      if (!this.filter(values, 0)) return;
    }
    const b = this.reserveRecord();
    if (b >= 0) this.layout.write(this.fs.ring, b, values);
  }

  /** True while a filter is set: a record must then be built in full (emitSlots) before it is kept. */
  get filtered(): boolean {
    return this.filter !== null;
  }

  /**
   * For hot paths that write a record's fields straight into the ring:
   * reserve the next record (time, event id and CPU set) and return the word
   * where it starts in `ring.words`, or -1 when the ring dropped it. Only
   * while the tracepoint is on and not filtered; the caller checks both.
   */
  reserveRecord(): number {
    this.hits++;
    const fs = this.fs;
    return fs.ring.reserve(this.id, fs.now(), fs.cpu());
  }

  setFilter(expr: string): void {
    this.filter = compileTraceFilter(expr, this.def.fields, (id) => this.fs.strings.get(id), this.fs.work);
    this.filterText = expr;
    this.onChange?.();
  }

  clearFilter(): void {
    this.filter = null;
    this.filterText = '';
    this.onChange?.();
  }
}

export interface TraceLine {
  readonly event: string;
  readonly timeNs: number;
  readonly cpu: number;
  readonly text: string;
  /** Set only on a lost-events line (event '', text `CPU:N [LOST M EVENTS]`): how many unreadable records of `cpu` it stands for. */
  readonly lost?: number;
}

/** Format nanoseconds as ftrace's `secs.usecs`. */
export function formatTraceTime(ns: number): string {
  const secs = Math.floor(ns / 1e9);
  const usecs = Math.floor((ns % 1e9) / 1e3);
  return `${secs}.${String(usecs).padStart(6, '0')}`;
}

/** A record's fields as text, in order: `name:kind, ...`. */
const fieldList = (fields: readonly TraceField[]) => fields.map((f) => `${f.name}:${f.kind}`).join(', ');

/**
 * The machine's tracing directory: defined events, one ring buffer, enable
 * and filter controls, and the text of what was recorded.
 */
export class TraceFs {
  readonly strings = new StringTable();
  readonly scratch = new Float64Array(TRACE_SLOTS);
  private readonly events: Tracepoint[] = [];
  private readonly byName = new Map<string, Tracepoint>();
  private readonly ringListeners: ((ring: RingBuffer) => void)[] = [];
  private readonly recordText = new RecordText(this.events, this.strings);
  ring: RingBuffer;
  taskName = 'cspmu';
  /** Charged for glob and filter matching (the machine's clock counter, when it has one). */
  work: WorkCounter | undefined;

  constructor(
    readonly now: () => number,
    /**
     * The CPU a record is written on: below `cpuCount`, which no writer
     * checks per record (the traced read's writer is measured per
     * instruction). A machine's tracing asks Smp.current, which holds only
     * its CPUs (Smp.on checks; the perf core sets only checked ones).
     */
    readonly cpu: () => number,
    capacity = 65536,
    mode: RingMode = 'overwrite',
    /** How many CPUs the machine has: every CPU number must fit a record's header field. */
    readonly cpuCount = 1,
  ) {
    if (!Number.isInteger(cpuCount) || cpuCount < 1) {
      throw kerr('EINVAL', `tracing: the CPU count must be a whole number of at least 1, got ${String(cpuCount)}`);
    }
    if (cpuCount > RECORD_ID_LIMIT) {
      throw kerr('EINVAL', `tracing: a trace record keeps its CPU in 16 bits, so at most ${RECORD_ID_LIMIT} CPUs can be traced; the machine has ${cpuCount}`);
    }
    this.ring = new RingBuffer(capacity, mode);
  }

  define(def: TraceEventDef): Tracepoint {
    if (!/^[a-z_][a-z0-9_]*$/.test(def.system) || !/^[a-z_][a-z0-9_]*$/.test(def.name)) {
      throw kerr('EINVAL', `trace event name '${def.system}:${def.name}' must be lowercase identifiers`);
    }
    const existing = this.byName.get(def.name);
    if (existing) {
      if (existing.def.system !== def.system) {
        throw kerr('EEXIST', `trace event '${def.name}' is already defined by system '${existing.def.system}'`);
      }
      // Writers of an event may place its fields at fixed words: a second definition must describe the same record.
      const had = fieldList(existing.def.fields);
      if (had !== fieldList(def.fields)) {
        throw kerr(
          'EEXIST',
          `trace event '${def.system}:${def.name}' is already defined with fields (${had}); define it again only with the same fields, got (${fieldList(def.fields)})`,
        );
      }
      return existing;
    }
    if (this.events.length >= RECORD_ID_LIMIT) throw kerr('ENOSPC', `trace event '${def.name}': all ${RECORD_ID_LIMIT} event ids are in use`);
    const tp = new Tracepoint(this.events.length, def, new RecordLayout(def.name, def.fields), this);
    this.events.push(tp);
    this.byName.set(def.name, tp);
    return tp;
  }

  get(name: string): Tracepoint {
    const tp = this.byName.get(name);
    if (!tp) throw kerr('ENOENT', `no trace event '${name}'; known: ${[...this.byName.keys()].join(', ') || 'none'}`);
    return tp;
  }

  list(): readonly Tracepoint[] {
    return this.events;
  }

  /** Enable events by name, `system:name`, `system:*` or a glob. Returns how many matched. */
  /** True if any tracepoint is enabled. */
  get anyEnabled(): boolean {
    return this.events.some((tp) => tp.enabled);
  }

  enable(pattern: string, on = true): number {
    const matched = this.match(pattern);
    if (matched.length === 0) throw kerr('ENOENT', `no trace event matches '${pattern}'`);
    for (const tp of matched) tp.enabled = on;
    return matched.length;
  }

  disableAll(): void {
    for (const tp of this.events) tp.enabled = false;
  }

  /** Resize (and clear) the ring buffer, or change its mode; then tells each ring listener (see onRingReplaced). */
  configure(capacity: number, mode: RingMode): void {
    this.ring = new RingBuffer(capacity, mode);
    for (const listener of this.ringListeners) listener(this.ring);
  }

  /**
   * Call `listener` with the new ring whenever configure() replaces it: a
   * writer that holds the ring's views must drop the old ones then, or the
   * old ring (up to hundreds of MB) stays reachable after it is replaced.
   */
  onRingReplaced(listener: (ring: RingBuffer) => void): void {
    this.ringListeners.push(listener);
  }

  get lost(): number {
    return this.ring.lost;
  }

  /**
   * Format the buffered records without consuming them (the `trace` file).
   * A record that cannot be read (see RecordText) shows as a lost-events
   * line, and the records around it are read as usual.
   */
  peek(): TraceLine[] {
    return this.recordText.lines(this.ring);
  }

  /**
   * Format and consume the buffered records (the `trace_pipe` file). The
   * unreadable records among them are gone now, so `lost` counts them, as
   * it counts the records overwritten unread.
   */
  read(): TraceLine[] {
    const held = this.ring.length;
    const lines = this.peek();
    let unreadable = 0;
    for (const l of lines) if (l.lost !== undefined) unreadable += l.lost;
    this.ring.discard(held);
    this.ring.countLost(unreadable);
    return lines;
  }

  /** The ftrace text of what is buffered. */
  text(): string {
    return this.peek()
      .map((l) =>
        l.lost !== undefined
          ? l.text
          : `${this.taskName.padStart(16)}-0       [${String(l.cpu).padStart(3, '0')}] ..... ${formatTraceTime(l.timeNs).padStart(12)}: ${l.event}: ${l.text}`,
      )
      .join('\n');
  }

  clear(): void {
    this.ring.clear();
  }

  private match(pattern: string): Tracepoint[] {
    if (typeof pattern !== 'string') throw kerr('EINVAL', `a trace event pattern must be a string, got ${describeValue(pattern)}`);
    const [sys, name] = pattern.includes(':') ? pattern.split(':', 2) : [undefined, pattern];
    const re = compileGlob(name!, this.work);
    const sysRe = sys === undefined ? undefined : compileGlob(sys, this.work);
    return this.events.filter((tp) => re.test(tp.def.name) && (!sysRe || sysRe.test(tp.def.system)));
  }
}
