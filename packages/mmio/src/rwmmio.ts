// The rwmmio tracepoints of the instrumented MMIO accessors, in the kernel's text format, filterable by device and caller.
import type { CallStack, TraceFs, Tracepoint, TraceRecordReader } from '@cspmu/kernel';
import type { MmioDevice } from './device.js';

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
  /** Both read tracepoints on and neither filtered: a plain read's two records then go straight into the ring together. */
  private readPairDirect = false;
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
   * given its device's state words: the read is a load, so no code runs
   * between the two records. With both tracepoints on and unfiltered (the
   * usual case) and room for both, the two records are claimed at once and
   * written in one run of stores straight into the ring's words. Each
   * field is one 32-bit word, at the word RecordLayout gives it (this event
   * has no double field, so its words follow the field order from word 3):
   * read: caller0 3, caller 4, width 5, addr 6-7, dev 8; post_read: caller0
   * 3, caller 4, width 5, val 6-7, addr 8-9, dev 10. The address halves
   * may come as int32 patterns (`| 0`, which a call passes unboxed): a word
   * store keeps the same 32 bits, and a filter sees them as unsigned.
   */
  read32Plain(words: Uint32Array, word: number, addrLo: number, addrHi: number, devId: number): number {
    const calls = this.calls;
    const caller0 = calls.parent();
    const caller = calls.current();
    const fs = this.trace;
    const ring = fs.ring;
    const w = this.readPairDirect === true ? ring.claim(2) : -1;
    if (w < 0) {
      this.readRecord(caller0, caller, addrLo, addrHi, devId);
      const v = words[word]!;
      this.emitPostRead(caller0, caller, v, addrLo, addrHi, devId);
      return v;
    }
    const read = this.read;
    const post = this.postRead;
    read.hits++;
    post.hits++;
    const v = words[word]!;
    // Literals throughout (see RingBuffer.reserve): 12 words a record, its time the double at half its first word.
    const mask = ring.mask & 0xffffff;
    const b = (w & mask) * 12;
    const p = ((w + 1) & mask) * 12;
    const cpu = fs.cpu() << 16;
    // `| 0`: the halves and the device id as int32 (the same 32 bits), so each is stored as it is, without a conversion.
    const lo = addrLo | 0;
    const hi = addrHi | 0;
    const dev = devId | 0;
    const u = ring.words;
    const d = ring.doubles;
    d[b >> 1] = fs.now();
    u[b + 2] = read.id | cpu;
    u[b + 3] = caller0;
    u[b + 4] = caller;
    u[b + 5] = 32;
    u[b + 6] = lo;
    u[b + 7] = hi;
    u[b + 8] = dev;
    d[p >> 1] = fs.now();
    u[p + 2] = post.id | cpu;
    u[p + 3] = caller0;
    u[p + 4] = caller;
    u[p + 5] = 32;
    u[p + 6] = v;
    u[p + 7] = 0;
    u[p + 8] = lo;
    u[p + 9] = hi;
    u[p + 10] = dev;
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
