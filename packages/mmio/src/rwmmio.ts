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
      { name: 'width', kind: 'num' },
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
      this.onChange?.();
    };
    for (const tp of [this.read, this.postRead, this.write, this.postWrite]) tp.onToggle = update;
  }

  /** Emit a read record (before the access): caller0, caller, width in bits, address halves, device. */
  emitRead(width: number, addrLo: number, addrHi: number, dev: number): void {
    this.emit(this.read, width, addrLo, addrHi, dev, 0, 0);
  }

  /** A traced 32-bit read of `dev` at `at`: its read record, the read, its post-read record (each if on); returns the value. */
  read32(dev: MmioDevice, at: number, addrLo: number, addrHi: number, devId: number): number {
    if (this.read.enabled) this.emit(this.read, 32, addrLo, addrHi, devId, 0, 0);
    const v = dev.read(at, 4);
    if (this.postRead.enabled) this.emit(this.postRead, 32, v, 0, addrLo, addrHi, devId);
    return v;
  }

  /** Emit a record with a value, given as 32-bit halves: caller0, caller, width, value halves, address halves, device. */
  emitValued(tp: Tracepoint, width: number, addrLo: number, addrHi: number, dev: number, lo: number, hi: number): void {
    this.emit(tp, width, lo, hi, addrLo, addrHi, dev);
  }

  /** A record's fields after caller0, caller and width: straight into the ring, unless a filter must see them first. */
  private emit(tp: Tracepoint, width: number, f3: number, f4: number, f5: number, f6: number, f7: number): void {
    if (tp.filtered) {
      this.emitFiltered(tp, width, f3, f4, f5, f6, f7);
      return;
    }
    const b = tp.reserveFields();
    if (b < 0) return;
    const d = this.trace.ring.slots;
    d[b] = this.calls.parent();
    d[b + 1] = this.calls.current();
    d[b + 2] = width;
    d[b + 3] = f3;
    d[b + 4] = f4;
    d[b + 5] = f5;
    d[b + 6] = f6;
    d[b + 7] = f7;
  }

  /** Build the record in full for the filter (kept out of emit, which stays small enough to inline). */
  private emitFiltered(tp: Tracepoint, width: number, f3: number, f4: number, f5: number, f6: number, f7: number): void {
    const s = this.slots;
    s[0] = this.calls.parent();
    s[1] = this.calls.current();
    s[2] = width;
    s[3] = f3;
    s[4] = f4;
    s[5] = f5;
    s[6] = f6;
    s[7] = f7;
    tp.emitSlots(s);
  }
}
