// Tests of register-bank access policies, paired W1S/W1C views and write actions.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { BankLayout, BusError, RegisterBank } from '../src/index.js';
import { busWith } from './helpers.js';

describe('RegisterBank access policies', () => {
  it('RO keeps its value, RW honours the writable mask, WO reads 0, RAZ/WI ignores all', () => {
    const { io } = busWith([
      { name: 'ID', offset: 0x0, access: 'RO', reset: 0x1234 },
      { name: 'CTRL', offset: 0x4, access: 'RW', reset: 0xf0, writableMask: 0x0f },
      { name: 'CMD', offset: 0x8, access: 'WO' },
      { name: 'RES', offset: 0xc, access: 'RAZ/WI', reset: 0x55 },
    ]);
    io.writel(0xffff, 0x0);
    expect(io.readl(0x0)).to.equal(0x1234);
    io.writel(0xff, 0x4);
    expect(io.readl(0x4)).to.equal(0xff);
    io.writel(0x00, 0x4);
    expect(io.readl(0x4)).to.equal(0xf0);
    io.writel(0xabc, 0x8);
    expect(io.readl(0x8)).to.equal(0);
    io.writel(1, 0xc);
    expect(io.readl(0xc)).to.equal(0);
  });

  it('paired W1S/W1C views change only the written 1-bits of one shared state', () => {
    const { io } = busWith([
      { name: 'SET', offset: 0x10, access: 'W1S' },
      { name: 'CLR', offset: 0x14, access: 'W1C', stateOf: 'SET' },
    ]);
    io.writel(0b1011, 0x10);
    io.writel(0b0100, 0x10);
    expect(io.readl(0x10)).to.equal(0b1111);
    expect(io.readl(0x14)).to.equal(0b1111);
    io.writel(0b0101, 0x14);
    expect(io.readl(0x10)).to.equal(0b1010);
    io.writel(0, 0x14);
    io.writel(0, 0x10);
    expect(io.readl(0x14)).to.equal(0b1010);
    io.writel(0x80000000, 0x10);
    expect(io.readl(0x10)).to.equal(0x8000000a);
  });

  it('write-1 action bits call the action and read back as 0', () => {
    const actions: number[] = [];
    const { io } = busWith([{ name: 'CR', offset: 0x0, access: 'RW', actionBits: 0x6, onAction: (b) => void actions.push(b) }]);
    io.writel(0x7, 0x0);
    expect(actions).to.deep.equal([0x6]);
    expect(io.readl(0x0)).to.equal(0x1);
    io.writel(0x1, 0x0);
    expect(actions).to.have.length(1);
  });

  it('clear-on-read returns the value once', () => {
    const { io, bank } = busWith([{ name: 'STS', offset: 0x0, access: 'RO', clearOnRead: true }]);
    bank.poke('STS', 0x9);
    expect(io.readl(0x0)).to.equal(0x9);
    expect(io.readl(0x0)).to.equal(0);
  });

  it('unknown offsets read 0, ignore writes and are counted per offset', () => {
    const { io, bank } = busWith([{ name: 'A', offset: 0x0, access: 'RW' }]);
    expect(io.readl(0x100)).to.equal(0);
    io.writel(5, 0x100);
    io.writel(5, 0x100);
    expect(io.readl(0x100)).to.equal(0);
    expect(bank.unknown.get(0x100)).to.deep.equal({ reads: 2, writes: 2 });
    expect(bank.unknown.size).to.equal(1);
  });

  it('each unknown offset has its own counts, the first one touched listed first', () => {
    const { io, bank } = busWith([{ name: 'A', offset: 0x0, access: 'RW' }]);
    expect(bank.unknown.size).to.equal(0);
    io.writel(1, 0x200);
    io.readl(0x100);
    io.readl(0x200);
    io.readl(0x100);
    io.writel(1, 0x300);
    const before = bank.unknown;
    expect([...before]).to.deep.equal([
      [0x200, { reads: 1, writes: 1 }],
      [0x100, { reads: 2, writes: 0 }],
      [0x300, { reads: 0, writes: 1 }],
    ]);
    io.readl(0x200);
    // What was handed out is a copy; the counts go on.
    expect(before.get(0x200)).to.deep.equal({ reads: 1, writes: 1 });
    expect(bank.unknown.get(0x200)).to.deep.equal({ reads: 2, writes: 1 });
  });

  it('64-bit registers are exact above 2^53 and readable by halves', () => {
    const { io } = busWith([{ name: 'CNT', offset: 0x8, width: 64, access: 'RW' }]);
    io.writeq(0xfedcba9876543210n, 0x8);
    expect(io.readq(0x8)).to.equal(0xfedcba9876543210n);
    expect(io.readl(0x8)).to.equal(0x76543210);
    expect(io.readl(0xc)).to.equal(0xfedcba98);
    io.loHiWriteq(0x1, 0xffffffff, 0x8);
    expect(io.readq(0x8)).to.equal(0xffffffff00000001n);
  });

  it('refuses to declare overlapping or misplaced registers', () => {
    expect(
      () =>
        new RegisterBank('b', 0x1000, [
          { name: 'A', offset: 0x0, width: 64, access: 'RW' },
          { name: 'B', offset: 0x4, access: 'RW' },
        ]),
    ).to.throw(KernelError, 'B at 0x4 overlaps A');
    expect(() => new RegisterBank('b', 0x1000, [{ name: 'A', offset: 0x2, access: 'RW' }])).to.throw(KernelError, 'aligned');
    expect(() => new RegisterBank('b', 0x1000, [{ name: 'C', offset: 0, access: 'W1C', stateOf: 'X' }])).to.throw(KernelError, 'unknown register X');
  });
});

describe('IoMem and the bus', () => {
  it('refuses overlapping mappings naming both owners', () => {
    const { bus } = busWith([]);
    const other = new RegisterBank('x', 0x2000, []);
    expect(() => bus.map.map(0xf000, 0x2000, other, 'dev1')).to.throw(KernelError, /EEXIST: dev1 at 0xf000-0x10fff overlaps dev0 at 0x10000-0x10fff/);
    expect(bus.map.all()).to.have.length(1);
  });

  it('refuses bad accesses with typed bus errors and leaves the device unchanged', () => {
    const { io, bus, bank } = busWith([{ name: 'R', offset: 0x0, access: 'RW', reset: 7 }]);
    const kinds: string[] = [];
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).to.be.instanceOf(BusError);
        kinds.push((e as BusError).kind);
      }
    };
    attempt(() => io.writel(1, 0x1000));
    attempt(() => io.writel(1, -4));
    attempt(() => io.writel(1, 0x2));
    attempt(() => io.writeb(1, 0x0));
    attempt(() => io.writeq(1n, 0x0));
    expect(kinds).to.deep.equal(['out-of-range', 'out-of-range', 'misaligned', 'wrong-width', 'wrong-width']);
    expect(bank.peek('R')).to.equal(7);
    expect(bus.refused).to.have.length(5);
    expect(bus.refused[0]!.code).to.equal('EIO');
  });

  it('ioremap of a hole is ENXIO', () => {
    const { bus } = busWith([]);
    expect(() => bus.ioremap(0x900000, 0x1000, 'ghost')).to.throw(KernelError, 'ENXIO');
  });

  it('detects and reports an access after iounmap', () => {
    const { io, bus, bank, kernel } = busWith([{ name: 'R', offset: 0x0, access: 'RW' }]);
    bus.iounmap(io);
    const err = kernel.calls.run('stale_reader', () => {
      try {
        io.writel(3, 0x0);
      } catch (e) {
        return e as BusError;
      }
      return undefined;
    });
    expect(err?.kind).to.equal('use-after-unmap');
    expect(err?.code).to.equal('EFAULT');
    expect(bank.peek('R')).to.equal(0);
    expect(bus.violations).to.have.length(1);
    expect(bus.violations[0]).to.deep.include({ owner: 'dev0', offset: 0, width: 4, write: true, callers: ['stale_reader'] });
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.include(
      'BUG: dev0: 32-bit write at offset 0x0 through mapping 0 after iounmap (use after release) in stale_reader',
    );
    // KASAN names the access, where the mapping was made and where it was unmapped.
    expect(kernel.kasan.reports.map((r) => [r.type, r.object, r.access, r.accessChain[0]])).to.deep.equal([
      ['ioremap mapping', 'dev0 #0', '32-bit write at offset 0x0', 'stale_reader'],
    ]);
    expect(() => bus.iounmap(io)).to.throw(KernelError, 'double unmap');
  });

  it('hi-lo-hi gives up after the poll limit and returns 0', () => {
    let hi = 0;
    const { io } = busWith([{ name: 'C', offset: 0x0, width: 64, access: 'RO', read: (h) => (h === 1 ? hi++ : 5) }]);
    const out = new Uint32Array(2);
    expect(io.readqHiLoHi(0x0, out, 10)).to.equal(false);
    expect([...out]).to.deep.equal([0, 0]);
    expect(hi).to.equal(20);
  });
});

describe('rwmmio tracepoints', () => {
  it('print caller0 -> caller, width, value and virtual address in the kernel format', () => {
    const { io, kernel } = busWith([{ name: 'R', offset: 0x4, access: 'RW' }]);
    kernel.trace.enable('rwmmio:*');
    const outer = kernel.calls.intern('arm_cspmu_event_update');
    const inner = kernel.calls.intern('arm_cspmu_read_counter');
    const d0 = kernel.calls.push(outer);
    const d1 = kernel.calls.push(inner);
    io.writel(0x1234, 0x4);
    io.readl(0x4);
    kernel.calls.pop(d1);
    kernel.calls.pop(d0);
    io.writel(0, 0x4);
    io.rawWritel(9, 0x4);
    expect(kernel.trace.peek().map((l) => `${l.event}: ${l.text}`)).to.deep.equal([
      'rwmmio_write: arm_cspmu_event_update -> arm_cspmu_read_counter width=32 val=0x1234 addr=0xffff800080000004',
      'rwmmio_post_write: arm_cspmu_event_update -> arm_cspmu_read_counter width=32 val=0x1234 addr=0xffff800080000004',
      'rwmmio_read: arm_cspmu_event_update -> arm_cspmu_read_counter width=32 addr=0xffff800080000004',
      'rwmmio_post_read: arm_cspmu_event_update -> arm_cspmu_read_counter width=32 val=0x1234 addr=0xffff800080000004',
      'rwmmio_write: <unknown> -> <unknown> width=32 val=0 addr=0xffff800080000004',
      'rwmmio_post_write: <unknown> -> <unknown> width=32 val=0 addr=0xffff800080000004',
    ]);
  });

  it('filter by device and by function', () => {
    const { io, kernel, bus } = busWith([{ name: 'R', offset: 0x0, access: 'RW' }]);
    const other = new RegisterBank('o', 0x1000, [{ name: 'R', offset: 0x0, access: 'RW' }]);
    bus.map.map(0x20000, 0x1000, other, 'dev1');
    const io1 = bus.ioremap(0x20000, 0x1000, 'dev1');
    const tp = kernel.trace.get('rwmmio_write');
    tp.enabled = true;
    tp.setFilter('dev == "dev1"');
    io.writel(1, 0);
    io1.writel(2, 0);
    expect(kernel.trace.read().map((l) => l.text)).to.deep.equal(['<unknown> -> <unknown> width=32 val=0x2 addr=0xffff800080010000']);
    tp.setFilter('caller ~ "arm_cspmu_*"');
    kernel.calls.run('arm_cspmu_start', () => io.writel(3, 0));
    kernel.calls.run('other_fn', () => io.writel(4, 0));
    expect(kernel.trace.read().map((l) => l.text)).to.deep.equal(['<unknown> -> arm_cspmu_start width=32 val=0x3 addr=0xffff800080000000']);
  });
});

describe('RegisterBank layouts shared between banks', () => {
  it('gives each hook its own bank context and keeps each bank state apart', () => {
    const seen: string[] = [];
    const layout = new BankLayout('kind', 0x1000, [
      { name: 'CTRL', offset: 0x0, access: 'RW', reset: 0x7 },
      { name: 'LIVE', offset: 0x4, access: 'RO', read: (_half, ctx: { name: string }) => (ctx.name === 'a' ? 0xa : 0xb) },
      {
        name: 'GO',
        offset: 0x8,
        access: 'RW',
        actionBits: 0x1,
        onWrite: (ctx: { name: string }) => seen.push(`write ${ctx.name}`),
        onAction: (bits, ctx: { name: string }) => seen.push(`action ${bits} ${ctx.name}`),
      },
    ]);
    const a = new RegisterBank('a', 0x1000, layout, { name: 'a' });
    const b = new RegisterBank('b', 0x1000, layout, { name: 'b' });
    a.write(0x0, 4, 0x55);
    expect([a.read(0x0, 4), b.read(0x0, 4)]).to.deep.equal([0x55, 0x7]);
    expect([a.read(0x4, 4), b.read(0x4, 4)]).to.deep.equal([0xa, 0xb]);
    b.write(0x8, 4, 0x1);
    a.write(0x8, 4, 0x2);
    expect(seen).to.deep.equal(['action 1 b', 'write b', 'write a']);
    expect(() => new RegisterBank('c', 0x2000, layout)).to.throw(KernelError, 'layout is for 4096 bytes');
  });
});
