// Turning the ring's held records into text lines: each record's reader (its own fields, or a linked partner's), and unreadable records shown as lost.
import { kerr } from '../base/errors.js';
import type { RingBuffer } from './ring-buffer.js';
import type { StringTable, TraceLine, Tracepoint, TraceRecordReader } from './tracing.js';

/** `CPU:N [LOST M EVENTS]`: what the kernel's trace output prints where it could not give a CPU's records. */
export function lostEventsText(cpu: number, n: number): string {
  return `CPU:${cpu} [LOST ${n} EVENTS]`;
}

/**
 * Formats the records of one trace directory. A record is unreadable when
 * its header names no defined event, or it is linked (its fields in the
 * next record, see LINK_WORD) to a record that is not held, is linked
 * itself, or lacks one of its fields (by name and kind): a writer of the
 * exported claim() API can leave such a record. A reader then loses only
 * that record, shown as a lost-events line on its CPU, and reads on.
 */
export class RecordText {
  /** Whether event `tp`'s fields can be read from a record of event `from`, by `tp.id * 65536 + from.id` (layouts never change once defined). */
  private readonly partnerFits = new Map<number, boolean>();

  constructor(
    private readonly events: readonly Tracepoint[],
    private readonly strings: StringTable,
  ) {}

  /** The held records as lines, oldest first; consecutive unreadable records of one CPU make one lost-events line (`lost` set, event ''). */
  lines(ring: RingBuffer): TraceLine[] {
    const out: TraceLine[] = [];
    const held = ring.length;
    let lostCpu = -1;
    let lostTime = 0;
    let lost = 0;
    for (let k = 0; k < held; k++) {
      const i = ring.indexAt(k);
      const line = this.format(ring, i, k + 1 < held);
      if (line !== undefined) {
        if (lost > 0) out.push(lostLine(lostCpu, lostTime, lost));
        lost = 0;
        out.push(line);
        continue;
      }
      const cpu = ring.cpuAt(i);
      if (lost > 0 && cpu !== lostCpu) {
        out.push(lostLine(lostCpu, lostTime, lost));
        lost = 0;
      }
      if (lost === 0) {
        lostCpu = cpu;
        lostTime = ring.timeAt(i);
      }
      lost++;
    }
    if (lost > 0) out.push(lostLine(lostCpu, lostTime, lost));
    return out;
  }

  /** Record i as a line, or undefined when it cannot be read (see the class). `hasNext`: the record after it is held. */
  private format(ring: RingBuffer, i: number, hasNext: boolean): TraceLine | undefined {
    const tp = this.events[ring.idAt(i)];
    if (tp === undefined) return undefined;
    // A linked record's fields are its successor's, by name (see LINK_WORD); its time and CPU are its own.
    const linked = tp.layout.linkable && ring.linkedAt(i);
    const at = linked ? (i + 1) & ring.mask : i;
    const from = linked ? this.events[ring.idAt(at)] : tp;
    if (linked && (!hasNext || from === undefined || (from.layout.linkable && ring.linkedAt(at)) || !this.fits(tp, from))) return undefined;
    const layout = from!.layout;
    const base = ring.recordAt(at);
    const words = ring.words;
    const place = (field: string) => {
      const p = tp.layout.places.get(field);
      if (p === undefined) throw kerr('EINVAL', `trace event '${tp.def.name}' has no field '${field}'`);
      // Linked: the partner has the field, of the same kind (fits() said so).
      return linked ? layout.places.get(field)! : p;
    };
    const timeNs = ring.timeAt(i);
    const reader: TraceRecordReader = {
      timeNs,
      num: (f) => {
        const p = place(f);
        if (p.kind === 'num') return ring.doubles[(base + p.word) / 2]!;
        if (p.kind !== 'u32') throw kerr('EINVAL', `trace event '${tp.def.name}': field '${f}' is a ${p.kind}; read it with ${p.kind}()`);
        return words[base + p.word]!;
      },
      str: (f) => {
        const p = place(f);
        if (p.kind !== 'str') throw kerr('EINVAL', `trace event '${tp.def.name}': field '${f}' is a ${p.kind}, not a str`);
        return this.strings.get(words[base + p.word]!);
      },
      u64: (f) => {
        const p = place(f);
        if (p.hiWord < 0) throw kerr('EINVAL', `trace event '${tp.def.name}': field '${f}' is not a u64`);
        return (BigInt(words[base + p.hiWord]!) << 32n) | BigInt(words[base + p.word]!);
      },
    };
    return { event: tp.def.name, timeNs, cpu: ring.cpuAt(i), text: tp.def.format(reader) };
  }

  /** Does event `from` have every field of event `tp`, each of the same kind? */
  private fits(tp: Tracepoint, from: Tracepoint): boolean {
    const key = tp.id * 65536 + from.id;
    let ok = this.partnerFits.get(key);
    if (ok === undefined) {
      ok = true;
      for (const [name, p] of tp.layout.places) if (from.layout.places.get(name)?.kind !== p.kind) ok = false;
      this.partnerFits.set(key, ok);
    }
    return ok;
  }
}

function lostLine(cpu: number, timeNs: number, n: number): TraceLine {
  return { event: '', timeNs, cpu, text: lostEventsText(cpu, n), lost: n };
}
