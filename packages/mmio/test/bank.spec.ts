// Tests of register-bank access policies, paired W1S/W1C views, write hooks and write actions.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { BankLayout, BusError, RegisterBank, type WriteHooks } from '../src/index.js';
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

  it('write-1 action bits reach the write hook and read back as 0', () => {
    const actions: number[] = [];
    const hooks: WriteHooks = { beforeWrite: () => undefined, afterWrite: (_hook, _arg, bits) => void actions.push(bits) };
    const { io } = busWith([{ name: 'CR', offset: 0x0, access: 'RW', actionBits: 0x6, writeHook: 1 }], undefined, hooks);
    io.writel(0x7, 0x0);
    expect(actions).to.deep.equal([0x6]);
    expect(io.readl(0x0)).to.equal(0x1);
    io.writel(0x1, 0x0);
    expect(actions).to.deep.equal([0x6, 0]);
  });

  it("calls a register's write hook around the write (before it only with hookFirst), with its code, argument and the word replaced, once for a 64-bit write", () => {
    const seen: string[] = [];
    let bank!: RegisterBank;
    const hooks: WriteHooks = {
      beforeWrite: (hook, arg) => void seen.push(`before ${hook}/${arg}: ${bank.peek('A').toString(16)}`),
      afterWrite: (hook, arg, _actions, old) =>
        void seen.push(
          `after ${hook}/${arg} over ${old.toString(16)}: ${bank.peek('A').toString(16)} ${bank.peek('W', 1).toString(16)} ${bank.peek('S').toString(16)}`,
        ),
    };
    ({ bank } = busWith(
      [
        { name: 'A', offset: 0x0, access: 'RW', writeHook: 2, hookArg: 7, hookFirst: true },
        { name: 'B', offset: 0x4, access: 'RW' },
        { name: 'W', offset: 0x8, width: 64, access: 'RW', writeHook: 3, hookArg: 1, hookFirst: true },
        { name: 'S', offset: 0x10, access: 'W1S', narrow: true, writeHook: 4, hookArg: 2 },
        { name: 'C', offset: 0x14, access: 'W1C', stateOf: 'S', writeHook: 4, hookArg: 2 },
      ],
      undefined,
      hooks,
    ));
    bank.write(0x0, 4, 0xab);
    bank.write(0x4, 4, 0xcd);
    bank.write(0x1, 1, 0x12);
    bank.write64(0x8, 0x1, 0x2);
    bank.write(0x10, 4, 0x5);
    bank.write(0x14, 4, 0x4);
    bank.write(0x12, 1, 0x80);
    expect(seen).to.deep.equal([
      'before 2/7: 0',
      'after 2/7 over 0: ab 0 0',
      'before 2/7: ab',
      'after 2/7 over ab: 12ab 0 0',
      'before 3/1: 12ab',
      'after 3/1 over 0: 12ab 2 0',
      // No hookFirst: after only, given the state word each write replaced (a CLR view's is its SET register's).
      'after 4/2 over 0: 12ab 2 5',
      'after 4/2 over 5: 12ab 2 1',
      'after 4/2 over 1: 12ab 2 800001',
    ]);
  });

  it('refuses write hooks it cannot call: action bits without one, a bad code, a context without the hooks', () => {
    const bad = (spec: object) => () => new BankLayout('b', 0x1000, [{ name: 'R', offset: 0, access: 'RW', ...spec }]);
    expect(bad({ actionBits: 1 })).to.throw(KernelError, 'R has action bits but no write hook');
    expect(bad({ writeHook: -1 })).to.throw(KernelError, "R's write hook must be a code >= 1");
    expect(bad({ writeHook: 1.5 })).to.throw(KernelError, "R's write hook must be a code >= 1");
    expect(bad({ writeHook: 1, hookArg: -2 })).to.throw(KernelError, "R's hookArg must be an integer >= 0, got -2");
    expect(bad({ writeHook: 1, hookArg: 0.5 })).to.throw(KernelError, "R's hookArg must be an integer >= 0, got 0.5");
    expect(bad({ hookFirst: true })).to.throw(KernelError, 'R has hookFirst but no write hook to call first');
    // Codes and arguments are kept as int32: one past that is refused, not wrapped to a negative.
    expect(bad({ writeHook: 2 ** 31, hookArg: 1 })).to.throw(KernelError, "R's write hook code and hookArg must be at most 2^31-1, got 2147483648 and 1");
    expect(bad({ writeHook: 1, hookArg: 2 ** 31 })).to.throw(KernelError, "R's write hook code and hookArg must be at most 2^31-1, got 1 and 2147483648");
    const widest = bad({ writeHook: 2 ** 31 - 1, hookArg: 2 ** 31 - 1 })();
    const seen: number[][] = [];
    const hooks = { beforeWrite: () => undefined, afterWrite: (...a: number[]) => void seen.push(a) };
    new RegisterBank('b', 0x1000, widest, hooks).write(0, 4, 7);
    expect(seen).to.deep.equal([[2 ** 31 - 1, 2 ** 31 - 1, 0, 0]]);
    // The per-register closures of before are refused by name, not silently skipped.
    expect(bad({ onWrite: () => undefined, beforeWrite: () => undefined })).to.throw(
      KernelError,
      'R has beforeWrite, onWrite; write hooks are codes now: give writeHook (and hookArg)',
    );
    expect(bad({ onAction: () => undefined })).to.throw(KernelError, 'R has onAction; write hooks are codes now');
    const layout = bad({ writeHook: 1 })();
    expect(() => new RegisterBank('b', 0x1000, layout, { beforeWrite: () => undefined })).to.throw(KernelError, 'must offer beforeWrite and afterWrite');
    expect(() => new RegisterBank('b', 0x1000, layout)).to.throw(KernelError, 'must offer beforeWrite and afterWrite');
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
    const { io, bus, bank } = busWith([
      { name: 'R', offset: 0x0, access: 'RW', reset: 7 },
      { name: 'Q', offset: 0x8, width: 64, access: 'RW', reset: 9 },
    ]);
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
    // The 64-bit register's upper half, and past the end: a 64-bit write must be 8-aligned and inside the mapping.
    attempt(() => io.writeqParts(1, 1, 0xc));
    attempt(() => io.writeqParts(1, 1, 0x1000));
    expect(kinds).to.deep.equal(['out-of-range', 'out-of-range', 'misaligned', 'wrong-width', 'wrong-width', 'misaligned', 'out-of-range']);
    expect([bank.peek('R'), bank.peek('Q'), bank.peek('Q', 1)]).to.deep.equal([7, 9, 0]);
    expect(bus.refused).to.have.length(7);
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
    const context = (name: string) => ({
      name,
      beforeWrite: () => undefined,
      afterWrite: (hook: number, arg: number, actions: number) => void seen.push(`write ${hook}/${arg} actions ${actions} ${name}`),
    });
    const layout = new BankLayout('kind', 0x1000, [
      { name: 'CTRL', offset: 0x0, access: 'RW', reset: 0x7 },
      { name: 'LIVE', offset: 0x4, access: 'RO', read: (_half, ctx: { name: string }) => (ctx.name === 'a' ? 0xa : 0xb) },
      {
        name: 'GO',
        offset: 0x8,
        access: 'RW',
        actionBits: 0x1,
        writeHook: 5,
        hookArg: 2,
      },
    ]);
    const a = new RegisterBank('a', 0x1000, layout, context('a'));
    const b = new RegisterBank('b', 0x1000, layout, context('b'));
    a.write(0x0, 4, 0x55);
    expect([a.read(0x0, 4), b.read(0x0, 4)]).to.deep.equal([0x55, 0x7]);
    expect([a.read(0x4, 4), b.read(0x4, 4)]).to.deep.equal([0xa, 0xb]);
    b.write(0x8, 4, 0x1);
    a.write(0x8, 4, 0x2);
    expect(seen).to.deep.equal(['write 5/2 actions 1 b', 'write 5/2 actions 0 a']);
    expect(() => new RegisterBank('c', 0x2000, layout)).to.throw(KernelError, 'layout is for 4096 bytes');
  });
});
