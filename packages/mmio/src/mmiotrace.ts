// mmiotrace: every mapping probed and every access logged in the kernel's text format, through the trace ring.
import { formatTraceTime, type Kernel, kerr, type TraceFs, type Tracepoint, type TraceRecordReader } from '@cspmu/kernel';
import type { MmioBus } from './bus.js';
import type { IoMem } from './iomem.js';
import { Kmmio, type KmmioProbe } from './kmmio.js';

export const MMIOTRACE_VERSION = 'VERSION 20070824';
const MMIO_READ = 1;
const MMIO_WRITE = 2;
const MMIO_PROBE = 3;
const MMIO_UNPROBE = 4;

const ts = (r: TraceRecordReader) => formatTraceTime(r.timeNs);
const x = (v: bigint) => `0x${v.toString(16)}`;

/**
 * mmiotrace on top of kmmio probes: while enabled, every mapping created is
 * probed and every access to it logged, in the kernel's text format
 * (`VERSION 20070824`, then MAP, R, W, UNMAP and MARK lines). Records go to
 * the machine's trace ring in binary and are formatted when read; a full
 * ring shows as `MARK 0.000000 Lost N events.`
 */
export class MmioTrace {
  private readonly rw: Tracepoint;
  private readonly map: Tracepoint;
  private readonly markTp: Tracepoint;
  private readonly probes = new Map<IoMem, KmmioProbe>();
  private stop: (() => void) | undefined;
  readonly kmmio: Kmmio;
  private readonly trace: TraceFs;

  constructor(
    private readonly bus: MmioBus,
    kernel: Kernel,
    kmmio?: Kmmio,
  ) {
    this.trace = kernel.trace;
    this.kmmio = kmmio ?? new Kmmio(bus, kernel);
    this.rw = this.trace.define({
      system: 'mmiotrace',
      name: 'mmiotrace_rw',
      fields: [
        { name: 'opcode', kind: 'u32' },
        { name: 'width', kind: 'u32' },
        { name: 'map_id', kind: 'u32' },
        { name: 'phys', kind: 'u64' },
        { name: 'value', kind: 'u64' },
      ],
      format: (r) =>
        `${r.num('opcode') === MMIO_READ ? 'R' : 'W'} ${r.num('width')} ${ts(r)} ${r.num('map_id')} ${x(r.u64('phys'))} ${x(r.u64('value'))} 0x0 0`,
    });
    this.map = this.trace.define({
      system: 'mmiotrace',
      name: 'mmiotrace_map',
      fields: [
        { name: 'opcode', kind: 'u32' },
        { name: 'map_id', kind: 'u32' },
        { name: 'phys', kind: 'u64' },
        { name: 'virt', kind: 'u64' },
        { name: 'len', kind: 'num' },
      ],
      format: (r) =>
        r.num('opcode') === MMIO_PROBE
          ? `MAP ${ts(r)} ${r.num('map_id')} ${x(r.u64('phys'))} ${x(r.u64('virt'))} 0x${r.num('len').toString(16)} 0x0 0`
          : `UNMAP ${ts(r)} ${r.num('map_id')} 0x0 0`,
    });
    this.markTp = this.trace.define({
      system: 'mmiotrace',
      name: 'mmiotrace_mark',
      fields: [{ name: 'text', kind: 'str' }],
      format: (r) => `MARK ${ts(r)} ${r.str('text')}`,
    });
  }

  get enabled(): boolean {
    return this.stop !== undefined;
  }

  /** Start tracing: mappings created from now on are probed and logged. */
  enable(): void {
    if (this.stop) throw kerr('EBUSY', 'mmiotrace is already enabled');
    this.rw.enabled = this.map.enabled = this.markTp.enabled = true;
    this.stop = this.bus.observe({
      onMap: (io) => this.onMap(io),
      onUnmap: (io) => this.onUnmap(io),
      onAccess: () => undefined,
    });
  }

  async disable(): Promise<void> {
    if (!this.stop) return;
    this.stop();
    this.stop = undefined;
    for (const [io, probe] of this.probes) {
      this.probes.delete(io);
      await this.kmmio.unregister(probe);
    }
    this.rw.enabled = this.map.enabled = this.markTp.enabled = false;
  }

  /** A user marker (trace_marker). */
  mark(text: string): void {
    if (!this.enabled) throw kerr('EINVAL', 'mmiotrace is not enabled');
    this.markTp.emit(this.trace.strings.intern(text.replace(/\n/g, ' ')));
  }

  /** The mmiotrace text of everything recorded so far. */
  text(): string {
    const lines = [MMIOTRACE_VERSION];
    if (this.trace.lost > 0) lines.push(`MARK 0.000000 Lost ${this.trace.lost} events.`);
    for (const l of this.trace.peek()) if (l.event.startsWith('mmiotrace_')) lines.push(l.text);
    return `${lines.join('\n')}\n`;
  }

  private onMap(io: IoMem): void {
    this.map.emit(MMIO_PROBE, io.mapId, io.phys % 4294967296, Math.floor(io.phys / 4294967296), io.virtLo, io.virtHi, io.size);
    const probe: KmmioProbe = {
      addr: io.phys,
      len: io.size,
      post: (_p, a) => this.rw.emit(a.write ? MMIO_WRITE : MMIO_READ, a.width, a.io!.mapId, a.phys % 4294967296, Math.floor(a.phys / 4294967296), a.lo, a.hi),
    };
    try {
      this.kmmio.register(probe);
      this.probes.set(io, probe);
    } catch (e) {
      this.markTp.emit(this.trace.strings.intern(`mapping ${io.mapId} at 0x${io.phys.toString(16)} not traced: ${(e as Error).message}`));
    }
  }

  private onUnmap(io: IoMem): void {
    this.map.emit(MMIO_UNPROBE, io.mapId, 0, 0, 0, 0, 0);
    const probe = this.probes.get(io);
    if (probe) {
      this.probes.delete(io);
      void this.kmmio.unregister(probe);
    }
  }
}
