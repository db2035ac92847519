import type { CallStack, TraceFs, Tracepoint, TraceRecordReader } from '@cspmu/kernel';

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

  constructor(
    trace: TraceFs,
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
  }

  /** Emit a read record: width in bits, address as two 32-bit halves. */
  emitRead(width: number, addrLo: number, addrHi: number, dev: number): void {
    this.read.emit(this.calls.parent(), this.calls.current(), width, addrLo, addrHi, dev);
  }

  emitValued(tp: Tracepoint, width: number, valLo: number, valHi: number, addrLo: number, addrHi: number, dev: number): void {
    tp.emit(this.calls.parent(), this.calls.current(), width, valLo, valHi, addrLo, addrHi, dev);
  }
}
