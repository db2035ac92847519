// Which accessor functions a mapping has: direct while it is live and unwatched, traced-direct while rwmmio alone watches reads, checked while observed or unmapped, and back.
import { expect } from 'chai';
import { type BusError, type IoMem, type MmioDevice, MmioRecorder } from '../src/index.js';
import { busWith } from './helpers.js';

const specs = [
  { name: 'R', offset: 0x4, access: 'RW' as const, reset: 0x10 },
  { name: 'Q', offset: 0x10, width: 64 as const, access: 'RW' as const },
];

/** The accessors a mapping has now, to compare with a mapping's that was never watched. */
const accessors = (io: IoMem) => [io.readl, io.writel, io.readqInto, io.writeqParts];

describe('IoMem dispatch: direct accessors while unwatched, traced-direct readl under rwmmio alone, checked ones otherwise', () => {
  it('rwmmio tracing swaps a live mapping to the checked accessors, and switching it off swaps it back', () => {
    const { io, kernel } = busWith(specs);
    const direct = accessors(io);
    kernel.trace.enable('rwmmio:*');
    expect(accessors(io).map((f, i) => f === direct[i])).to.deep.equal([false, false, false, false]);
    kernel.trace.enable('rwmmio:*', false);
    expect(accessors(io)).to.deep.equal(direct);
    // Reads and writes are watched separately: a read tracepoint alone leaves writel direct.
    kernel.trace.get('rwmmio_post_read').enabled = true;
    expect(accessors(io).map((f, i) => f === direct[i])).to.deep.equal([false, true, false, true]);
    kernel.trace.get('rwmmio_post_read').enabled = false;
    kernel.trace.get('rwmmio_write').enabled = true;
    expect(accessors(io).map((f, i) => f === direct[i])).to.deep.equal([true, false, true, false]);
  });

  it('a kmmio observer armed on a live mapping swaps it to the checked accessors until it is the last to detach', () => {
    const { io, bus } = busWith(specs);
    const direct = accessors(io);
    const rec = new MmioRecorder(bus, () => 0).start();
    const detach = bus.observe({ onAccess: () => undefined });
    expect(accessors(io).map((f, i) => f === direct[i])).to.deep.equal([false, false, false, false]);
    rec.stop();
    expect(accessors(io).map((f, i) => f === direct[i])).to.deep.equal([false, false, false, false]);
    detach();
    expect(accessors(io)).to.deep.equal(direct);
  });

  it('a kmmio observer armed while reads are traced sees every traced read, and its detach leaves them traced', () => {
    const { io, bus, kernel } = busWith(specs);
    kernel.trace.enable('rwmmio:*');
    const traced = accessors(io);
    const seen: string[] = [];
    const detach = bus.observe({ onAccess: (_io, offset, width, write, lo) => seen.push(`${write ? 'W' : 'R'}${width * 8} ${offset} ${lo}`) });
    expect(io.readl(0x4)).to.equal(0x10);
    detach();
    expect(accessors(io)).to.deep.equal(traced);
    expect(io.readl(0x4)).to.equal(0x10);
    expect(seen).to.deep.equal(['R32 4 16']);
    expect(kernel.trace.peek().map((l) => l.event)).to.deep.equal(['rwmmio_read', 'rwmmio_post_read', 'rwmmio_read', 'rwmmio_post_read']);
  });

  it('a mapping made while tracing is on starts with the checked accessors and traces its first plain read', () => {
    const { io: quiet, bus, bank, kernel } = busWith(specs);
    bus.map.map(0x20000, 0x1000, bank, 'dev0 again');
    kernel.trace.enable('rwmmio:*');
    const io = bus.ioremap(0x20000, 0x1000, 'dev0 again');
    expect(io.readl(0x4)).to.equal(0x10);
    expect(kernel.trace.peek().map((l) => l.event)).to.deep.equal(['rwmmio_read', 'rwmmio_post_read']);
    kernel.trace.enable('rwmmio:*', false);
    expect(accessors(io)).to.deep.equal(accessors(quiet));
  });

  it('iounmap swaps to the checked accessors for good: tracing switched off later does not make them direct again', () => {
    const { io, bus, kernel } = busWith(specs);
    kernel.trace.enable('rwmmio:*');
    bus.iounmap(io);
    kernel.trace.enable('rwmmio:*', false);
    expect(() => io.readl(0x4)).to.throw(/after iounmap/);
    expect(() => io.writel(1, 0x4)).to.throw(/after iounmap/);
    expect(() => io.readqInto(0x10, new Uint32Array(2))).to.throw(/after iounmap/);
    expect(() => io.writeqParts(1, 2, 0x10)).to.throw(/after iounmap/);
    expect(bus.violations.map((v) => `${v.write ? 'W' : 'R'}${v.width * 8} ${v.offset}`)).to.deep.equal(['R32 4', 'W32 4', 'R64 16', 'W64 16']);
  });

  it('the direct 64-bit accessors move both halves of a 64-bit register', () => {
    const { io, bank } = busWith(specs);
    io.writeqParts(0x11223344, 0x55667788, 0x10);
    expect([bank.state[4], bank.state[5]]).to.deep.equal([0x11223344, 0x55667788]);
    const out = new Uint32Array(2);
    io.readqInto(0x10, out);
    expect([...out]).to.deep.equal([0x11223344, 0x55667788]);
  });

  it('a device with no read shadow has every direct read go to the device', () => {
    const { bus } = busWith(specs);
    const reads: number[] = [];
    const writes: number[] = [];
    const device: MmioDevice = {
      name: 'bare',
      check: () => undefined,
      read: (offset) => {
        reads.push(offset);
        return offset + 1;
      },
      write: (offset) => void writes.push(offset),
      write32: (offset) => void writes.push(offset),
      read64: (offset, out) => {
        reads.push(offset);
        out.fill(0);
      },
      tryRead64: (offset, out) => {
        reads.push(offset);
        out.fill(0);
        return true;
      },
      write64: (offset) => void writes.push(offset),
      tryWrite64: (offset) => {
        writes.push(offset);
        return true;
      },
    };
    bus.map.map(0x30000, 0x1000, device, 'bare');
    const io = bus.ioremap(0x30000, 0x1000, 'bare');
    expect([io.readl(0x4), io.readl(0x4), io.readl(0xffc)]).to.deep.equal([5, 5, 0x1000 - 3]);
    expect(reads).to.deep.equal([0x4, 0x4, 0xffc]);
    // This device checks nothing itself, so the direct accessors' own alignment and range tests must refuse these.
    const kinds = [
      () => io.writel(1, 0x2),
      () => io.writel(1, 0x1000),
      () => io.readqInto(0x4, new Uint32Array(2)),
      () => io.readqInto(0x1000, new Uint32Array(2)),
      () => io.writeqParts(1, 2, 0x4),
      () => io.writeqParts(1, 2, 0x1000),
    ].map((access) => {
      try {
        access();
      } catch (e) {
        return (e as BusError).kind;
      }
      return 'done';
    });
    expect(kinds).to.deep.equal(['misaligned', 'out-of-range', 'misaligned', 'out-of-range', 'misaligned', 'out-of-range']);
    expect([reads.length, writes.length]).to.deep.equal([3, 0]);
  });

  it('a direct readl refuses an offset that is not a number, even one the plain-register table would answer', () => {
    const { io } = busWith(specs);
    // '4' names a plain register's first character in the table; only the type test stops it.
    expect(() => io.readl('4' as never)).to.throw("dev0: 32-bit access: the offset must be a number, got '4'");
    expect(() => io.readl(new Number(4) as never)).to.throw('dev0: 32-bit access: the offset must be a number, got');
  });

  it('a kmmio observer armed while rwmmio already traces reads sees each plain read, and the trace keeps both records', () => {
    const { io, bus, kernel } = busWith(specs);
    kernel.trace.enable('rwmmio:*');
    expect(io.readl(0x4)).to.equal(0x10);
    const seen: string[] = [];
    const detach = bus.observe({
      onAccess: (_io, offset, width, write, lo) => void seen.push(`${write ? 'W' : 'R'}${width * 8} ${offset} 0x${lo.toString(16)}`),
    });
    expect(io.readl(0x4)).to.equal(0x10);
    expect(seen).to.deep.equal(['R32 4 0x10']);
    detach();
    expect(io.readl(0x4)).to.equal(0x10);
    expect(seen).to.have.length(1);
    expect(kernel.trace.peek().map((l) => l.event)).to.deep.equal(Array(3).fill(['rwmmio_read', 'rwmmio_post_read']).flat());
  });
});
