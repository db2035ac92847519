// The rwmmio tracepoints of the instrumented MMIO accessors, in the kernel's text format, filterable by device and caller.
import type { CallStack, RingBuffer, TraceFs, Tracepoint, TraceRecordReader } from '@cspmu/kernel';
import type { MmioDevice } from './device.js';
import { type PlainRead, plainPairWriter } from './rwmmio-plain-pair.js';

/** `%#llx`: 0 prints as `0`, anything else as `0x…`. */
export function sharpHex(v: bigint): string {
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}

const withVal = (r: TraceRecordReader) =>
  `${r.str('caller0')} -> ${r.str('caller')} width=${r.num('width')} val=${sharpHex(r.u64('val'))} addr=${sharpHex(r.u64('addr'))}`;

/**
 * The four rwmmio tracepoints of the instrumented accessors, in the kernel's
 * text format (`CALLER0 -> CALLER width=N [val=0x..] addr=0x..`). Each record
 * also carries the mapping's device name, so a filter can select by device
 * (`dev == "arm-cs-arch-pmu.0"`) as well as by function (`caller ~ "arm_cspmu_*"`).
 */
export class RwmmioTracepoints {
  readonly read: Tracepoint;
  readonly postRead: Tracepoint;
  readonly write: Tracepoint;
  readonly postWrite: Tracepoint;
  /** Is any read (or write) tracepoint on? Kept current as they are switched. */
  readsTraced = false;
  writesTraced = false;
  /** @internal both read tracepoints on and neither filtered: a plain read's two records then go straight into the ring together. */
  readPairDirect = false;
  /** The ring read32Plain writes into. */
  private pairRing: RingBuffer;
  /** Called after the flags change. */
  onChange: (() => void) | undefined;
  /** Where a record is built when a filter must see it before it is kept (see Tracepoint.emitSlots). */
  readonly slots = new Float64Array(8);

  constructor(
    private readonly trace: TraceFs,
    private readonly calls: CallStack,
  ) {
    const base = [
      { name: 'caller0', kind: 'str' },
      { name: 'caller', kind: 'str' },
      { name: 'width', kind: 'u32' },
    ] as const;
    const tail = [
      { name: 'addr', kind: 'u64' },
      { name: 'dev', kind: 'str' },
    ] as const;
    const valued = [...base, { name: 'val', kind: 'u64' } as const, ...tail];
    this.read = trace.define({
      system: 'rwmmio',
      name: 'rwmmio_read',
      fields: [...base, ...tail],
      format: (r) => `${r.str('caller0')} -> ${r.str('caller')} width=${r.num('width')} addr=${sharpHex(r.u64('addr'))}`,
    });
    this.postRead = trace.define({ system: 'rwmmio', name: 'rwmmio_post_read', fields: valued, format: withVal });
    this.write = trace.define({ system: 'rwmmio', name: 'rwmmio_write', fields: valued, format: withVal });
    this.postWrite = trace.define({ system: 'rwmmio', name: 'rwmmio_post_write', fields: valued, format: withVal });
    const update = () => {
      this.readsTraced = this.read.enabled || this.postRead.enabled;
      this.writesTraced = this.write.enabled || this.postWrite.enabled;
      this.readPairDirect = this.read.enabled && this.postRead.enabled && !this.read.filtered && !this.postRead.filtered;
      this.onChange?.();
    };
    for (const tp of [this.read, this.postRead, this.write, this.postWrite]) tp.onChange = update;
    this.pairRing = trace.ring;
    this.read32Plain = plainPairWriter(this, trace, calls, trace.ring);
    trace.onRingReplaced((ring) => this.rebindPairWriter(ring));
  }

  /** Make read32Plain for `ring`, dropping the writer (and so the views) of the ring before it. */
  private rebindPairWriter(ring: RingBuffer): void {
    this.pairRing = ring;
    this.read32Plain = plainPairWriter(this, this.trace, this.calls, ring);
  }

  /** Emit a read record (before the access): caller0, caller, width in bits, address halves, device. */
  emitRead(width: number, addrLo: number, addrHi: number, dev: number): void {
    this.emit(this.read, this.calls.parent(), this.calls.current(), width, addrLo, addrHi, dev, 0, 0);
  }

  /**
   * A traced 32-bit read of `dev` at `at`: its read record, the read, its
   * post-read record (each if on); returns the value. The callers are looked
   * up once for both records (the read returns with the call stack as it
   * found it), and each record is written straight into the ring's array.
   */
  read32(dev: MmioDevice, at: number, addrLo: number, addrHi: number, devId: number): number {
    const calls = this.calls;
    const caller0 = calls.parent();
    const caller = calls.current();
    this.readRecord(caller0, caller, addrLo, addrHi, devId);
    const v = dev.read(at, 4);
    this.emitPostRead(caller0, caller, v, addrLo, addrHi, devId);
    return v;
  }

  /**
   * A traced 32-bit read of a plain register (no hook, no side effect),
   * given its device's state words: see plainPairWriter, which this field
   * is, made for the trace directory's current ring.
   */
  read32Plain: PlainRead;

  /**
   * @internal read32Plain's records one at a time, each if on and kept by
   * its filter: for when the pair cannot be claimed at once (a tracepoint
   * off or filtered, or not both records fit in drop mode), or the ring was
   * replaced (then read32Plain is made anew for the new one).
   */
  read32PlainEach(words: Uint32Array, word: number, addrLo: number, addrHi: number, devId: number): number {
    const fs = this.trace;
    if (this.pairRing !== fs.ring) this.rebindPairWriter(fs.ring);
    const calls = this.calls;
    const caller0 = calls.parent();
    const caller = calls.current();
    this.readRecord(caller0, caller, addrLo, addrHi, devId);
    const v = words[word]!;
    this.emitPostRead(caller0, caller, v, addrLo, addrHi, devId);
    return v;
  }

  /** rwmmio_read of a 32-bit access, if on: its six words only (emit writes eight). */
  private readRecord(caller0: number, caller: number, addrLo: number, addrHi: number, devId: number): void {
    const read = this.read;
    if (!read.enabled) return;
    if (read.filtered) {
      this.emitFiltered(read, caller0, caller, 32, addrLo, addrHi, devId, 0, 0);
      return;
    }
    const b = read.reserveRecord();
    if (b < 0) return;
    const u = this.trace.ring.words;
    u[b + 3] = caller0;
    u[b + 4] = caller;
    u[b + 5] = 32;
    u[b + 6] = addrLo;
    u[b + 7] = addrHi;
    u[b + 8] = devId;
  }

  /** rwmmio_post_read of a 32-bit access, if on. */
  private emitPostRead(caller0: number, caller: number, v: number, addrLo: number, addrHi: number, devId: number): void {
    if (this.postRead.enabled) this.emit(this.postRead, caller0, caller, 32, v, 0, addrLo, addrHi, devId);
  }

  /** Emit a record with a value, given as 32-bit halves: caller0, caller, width, value halves, address halves, device. */
  emitValued(tp: Tracepoint, width: number, addrLo: number, addrHi: number, dev: number, lo: number, hi: number): void {
    this.emit(tp, this.calls.parent(), this.calls.current(), width, lo, hi, addrLo, addrHi, dev);
  }

  /** A record: straight into the ring's words (field k at word 3 + k), unless a filter must see it first. */
  private emit(tp: Tracepoint, caller0: number, caller: number, width: number, f3: number, f4: number, f5: number, f6: number, f7: number): void {
    if (tp.filtered) {
      this.emitFiltered(tp, caller0, caller, width, f3, f4, f5, f6, f7);
      return;
    }
    const b = tp.reserveRecord();
    if (b < 0) return;
    const u = this.trace.ring.words;
    u[b + 3] = caller0;
    u[b + 4] = caller;
    u[b + 5] = width;
    u[b + 6] = f3;
    u[b + 7] = f4;
    u[b + 8] = f5;
    u[b + 9] = f6;
    u[b + 10] = f7;
  }

  /** Build the record in full for the filter (kept out of emit, which stays small enough to inline). */
  private emitFiltered(tp: Tracepoint, caller0: number, caller: number, width: number, f3: number, f4: number, f5: number, f6: number, f7: number): void {
    const s = this.slots;
    s[0] = caller0;
    s[1] = caller;
    s[2] = width;
    s[3] = f3;
    s[4] = f4;
    s[5] = f5;
    s[6] = f6;
    s[7] = f7;
    tp.emitSlots(s);
  }
}
