// Recording every MMIO access as plain JSON, and finding where a driver's access sequence first diverges from a recording.
import type { AccessObserver, MmioBus } from './bus.js';
import type { IoMem } from './iomem.js';

/** One recorded access. Values are hex strings so a recording is plain JSON and 64-bit exact. */
export interface RecordedAccess {
  readonly timeNs: number;
  readonly device: string;
  readonly phys: string;
  readonly offset: number;
  readonly width: number;
  readonly op: 'R' | 'W';
  readonly value: string;
}

export interface Recording {
  readonly version: 1;
  readonly accesses: readonly RecordedAccess[];
}

export interface Divergence {
  readonly index: number;
  readonly expected: RecordedAccess | undefined;
  readonly actual: RecordedAccess | undefined;
  readonly reason: string;
}

const hx = (n: bigint | number) => `0x${n.toString(16)}`;

/** Record every access through the bus while attached. */
export class MmioRecorder implements AccessObserver {
  readonly accesses: RecordedAccess[] = [];
  private stopFn: (() => void) | undefined;

  constructor(
    private readonly bus: MmioBus,
    private readonly now: () => number,
  ) {}

  start(): this {
    this.stopFn ??= this.bus.observe(this);
    return this;
  }

  stop(): Recording {
    this.stopFn?.();
    this.stopFn = undefined;
    return { version: 1, accesses: [...this.accesses] };
  }

  onAccess(io: IoMem, offset: number, width: number, write: boolean, lo: number, hi: number): void {
    this.accesses.push({
      timeNs: this.now(),
      device: io.owner,
      phys: hx(io.phys + offset),
      offset,
      width,
      op: write ? 'W' : 'R',
      value: hx((BigInt(hi) << 32n) | BigInt(lo)),
    });
  }
}

/**
 * Compare a driver's access sequence with a recorded one. Writes must match
 * in place, width and value; reads in place and width (their values depend
 * on time). Returns the first divergence, or undefined if they agree.
 */
export function firstDivergence(expected: Recording, actual: Recording): Divergence | undefined {
  const n = Math.max(expected.accesses.length, actual.accesses.length);
  for (let i = 0; i < n; i++) {
    const e = expected.accesses[i];
    const a = actual.accesses[i];
    if (!e || !a) return { index: i, expected: e, actual: a, reason: e ? 'the driver stopped early' : 'the driver made extra accesses' };
    const why =
      e.op !== a.op
        ? `${e.op} expected, ${a.op} made`
        : e.phys !== a.phys
          ? `address ${e.phys} expected, ${a.phys} accessed`
          : e.width !== a.width
            ? `${e.width * 8}-bit expected, ${a.width * 8}-bit made`
            : e.op === 'W' && e.value !== a.value
              ? `value ${e.value} expected, ${a.value} written`
              : undefined;
    if (why) return { index: i, expected: e, actual: a, reason: why };
  }
  return undefined;
}

/** Describe a divergence on one line. */
export function describeDivergence(d: Divergence): string {
  const fmt = (x: RecordedAccess | undefined) => (x ? `${x.op}${x.width * 8} ${x.phys}${x.op === 'W' ? ` = ${x.value}` : ''}` : 'nothing');
  return `access ${d.index}: ${d.reason} (expected ${fmt(d.expected)}, got ${fmt(d.actual)})`;
}

/**
 * Replay a recording's writes against a bus (a fresh machine's device
 * models at the same addresses), at the recorded virtual times. Returns
 * the reads' values seen during the replay next to the recorded ones.
 */
export function replayWrites(
  rec: Recording,
  bus: MmioBus,
  advanceTo: (t: number) => void,
): { writes: number; mismatchedReads: { index: number; recorded: string; replayed: string }[] } {
  const maps = new Map<string, IoMem>();
  const ioFor = (phys: bigint): { io: IoMem; offset: number } => {
    const page = phys & ~0xfffn;
    const key = hx(page);
    let io = maps.get(key);
    if (!io) {
      io = bus.ioremap(Number(page), 0x1000, `replay ${key}`);
      maps.set(key, io);
    }
    return { io, offset: Number(phys - page) };
  };
  let writes = 0;
  const mismatchedReads: { index: number; recorded: string; replayed: string }[] = [];
  const pair = new Uint32Array(2);
  rec.accesses.forEach((a, index) => {
    advanceTo(a.timeNs);
    const { io, offset } = ioFor(BigInt(a.phys));
    const v = BigInt(a.value);
    if (a.op === 'W') {
      writes++;
      if (a.width === 8) io.writeqParts(Number(v & 0xffffffffn), Number(v >> 32n), offset);
      else if (a.width === 4) io.writel(Number(v), offset);
      else if (a.width === 2) io.writew(Number(v), offset);
      else io.writeb(Number(v), offset);
    } else {
      let got: bigint;
      if (a.width === 8) {
        io.readqInto(offset, pair);
        got = (BigInt(pair[1]!) << 32n) | BigInt(pair[0]!);
      } else got = BigInt(a.width === 4 ? io.readl(offset) : a.width === 2 ? io.readw(offset) : io.readb(offset));
      if (got !== v) mismatchedReads.push({ index, recorded: a.value, replayed: hx(got) });
    }
  });
  for (const io of maps.values()) bus.iounmap(io);
  return { writes, mismatchedReads };
}
