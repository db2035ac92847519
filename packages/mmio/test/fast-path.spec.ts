// The accessors' fast path: plain reads from the device's state, side effects through the bank, and the swaps that unmapping and tracing make.
import { setFlagsFromString } from 'node:v8';
import { createKernel } from '@cspmu/kernel';
import { expect } from 'chai';
import { type BusError, MmioBus, MmioRecorder, RegisterBank } from '../src/index.js';
import { busWith } from './helpers.js';

function caught(fn: () => unknown): BusError | undefined {
  try {
    fn();
  } catch (e) {
    return e as BusError;
  }
  return undefined;
}

describe('IoMem fast path: plain registers from the state, side effects through the bank', () => {
  it('a plain read sees every change to the state at once, whoever made it', () => {
    const { io, bank } = busWith([
      { name: 'R', offset: 0x100, access: 'RW', reset: 0x1234 },
      { name: 'S', offset: 0x104, access: 'W1S' },
      { name: 'C', offset: 0x108, access: 'W1C', stateOf: 'S' },
    ]);
    expect(io.readl(0x100)).to.equal(0x1234);
    bank.poke('R', 0xdeadbeef);
    expect(io.readl(0x100)).to.equal(0xdeadbeef);
    bank.state[bank.stateWordOf('R')] = 7; // a device model writing its state directly
    expect(io.readl(0x100)).to.equal(7);
    io.writel(0b110, 0x104);
    io.writel(0b010, 0x108);
    expect([io.readl(0x104), io.readl(0x108)]).to.deep.equal([0b100, 0b100]);
    bank.reset();
    expect([io.readl(0x100), io.readl(0x104)]).to.deep.equal([0x1234, 0]);
  });

  it('registers with read hooks or side effects, write-only and reserved words still go through the bank', () => {
    let hookReads = 0;
    const { io, bank } = busWith([
      { name: 'LIVE', offset: 0x0, access: 'RO', read: () => ++hookReads },
      { name: 'STS', offset: 0x4, access: 'RO', clearOnRead: true },
      { name: 'CMD', offset: 0x8, access: 'WO' },
      { name: 'RES', offset: 0xc, access: 'RAZ/WI', reset: 0x55 },
    ]);
    expect([io.readl(0x0), io.readl(0x0), io.readl(0x0)]).to.deep.equal([1, 2, 3]);
    bank.poke('STS', 9);
    expect([io.readl(0x4), io.readl(0x4)]).to.deep.equal([9, 0]);
    io.writel(0xabc, 0x8);
    expect(bank.peek('CMD')).to.equal(0xabc);
    expect(io.readl(0x8)).to.equal(0);
    expect(bank.peek('RES')).to.equal(0x55);
    expect(io.readl(0xc)).to.equal(0);
    expect(io.readl(0x200)).to.equal(0);
    expect(io.readl(0x200)).to.equal(0);
    expect(bank.unknown.get(0x200)).to.deep.equal({ reads: 2, writes: 0 });
  });

  it('maps the shadow at the mapping offset within a larger device, and pads a device smaller than the page', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    let hookReads = 0;
    const big = new RegisterBank('big', 0x2000, [
      { name: 'LO', offset: 0x10, access: 'RO', reset: 0x1111 },
      { name: 'HI', offset: 0x1010, access: 'RO', reset: 0x2222 },
      // Plain on the first page, a read hook at the same offset of the second: the second page's mapping must call the hook.
      { name: 'ID0', offset: 0x14, access: 'RO', reset: 0x5 },
      { name: 'LIVE1', offset: 0x1014, access: 'RO', read: () => ++hookReads },
    ]);
    bus.map.map(0x40000, 0x2000, big, 'big');
    // Both pages of one device mapped, the first first: each mapping has its own page's plain offsets.
    const first = bus.ioremap(0x40000, 0x1000, 'big page 0');
    const second = bus.ioremap(0x41000, 0x1000, 'big page 1');
    expect([first.readl(0x10), first.readl(0x14)]).to.deep.equal([0x1111, 0x5]);
    expect(second.readl(0x10)).to.equal(0x2222);
    expect([second.readl(0x14), second.readl(0x14), hookReads]).to.deep.equal([1, 2, 2]);
    const small = new RegisterBank('small', 0x100, [{ name: 'ID', offset: 0x20, access: 'RO', reset: 0x3333 }]);
    bus.map.map(0x50000, 0x1000, small, 'small');
    const io = bus.ioremap(0x50000, 0x1000, 'small');
    expect(io.readl(0x20)).to.equal(0x3333);
    small.poke('ID', 0x4444);
    expect(io.readl(0x20)).to.equal(0x4444);
  });

  it('a bank smaller than its page reads past its end as zero, ignores writes there and counts them as unknown offsets, at every width', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    const small = new RegisterBank('small', 0x100, [
      { name: 'ID', offset: 0x20, access: 'RO', reset: 0x3333 },
      { name: 'Q', offset: 0x40, width: 64, access: 'RW' },
    ]);
    bus.map.map(0x50000, 0x1000, small, 'small');
    const io = bus.ioremap(0x50000, 0x1000, 'small');
    io.writel(0x1234, 0x200);
    io.writeqParts(5, 6, 0x800);
    expect([io.readl(0x200), io.readq(0x800), io.readl(0x20)]).to.deep.equal([0, 0n, 0x3333]);
    expect([...small.unknown].sort((a, b) => a[0] - b[0])).to.deep.equal([
      [0x200, { reads: 1, writes: 1 }],
      [0x800, { reads: 1, writes: 1 }],
    ]);
  });

  it('refuses a read at a bad offset through the fast path, with the device untouched', () => {
    const { io, bus } = busWith([
      { name: 'R0', offset: 0x0, access: 'RW', reset: 1 },
      { name: 'R1', offset: 0x4, access: 'RW', reset: 2 },
      { name: 'R100', offset: 0x100, access: 'RW', reset: 3 },
    ]);
    const kinds = [0x1000, -4, 0x2, 4.5, 2 ** 32 + 0x100, Number.NaN].map((off) => caught(() => io.readl(off))?.kind);
    expect(kinds).to.deep.equal(['out-of-range', 'out-of-range', 'misaligned', 'out-of-range', 'out-of-range', 'out-of-range']);
    // A 64-bit read of a 32-bit register, and a misaligned one, through readq's fast path.
    expect([caught(() => io.readq(0x0))?.kind, caught(() => io.readq(0x4))?.kind]).to.deep.equal(['wrong-width', 'misaligned']);
    // And writeq's: refused with both registers untouched.
    expect([caught(() => io.writeqParts(7, 8, 0x0))?.kind, caught(() => io.writeqParts(7, 8, 0x4))?.kind]).to.deep.equal(['wrong-width', 'misaligned']);
    expect([io.readl(0x0), io.readl(0x4)]).to.deep.equal([1, 2]);
    expect(bus.refused).to.have.length(10);
  });

  it('a plain read after iounmap goes through the checked accessor and is reported as a use after unmap', () => {
    const { io, bus, kernel } = busWith([{ name: 'R', offset: 0x100, access: 'RW', reset: 0x1234 }]);
    expect(io.readl(0x100)).to.equal(0x1234);
    bus.iounmap(io);
    const err = kernel.calls.run('stale_reader', () => caught(() => io.readl(0x100)));
    expect(err?.kind).to.equal('use-after-unmap');
    expect(err?.code).to.equal('EFAULT');
    expect(bus.violations.map((v) => [v.offset, v.width, v.write, v.callers])).to.deep.equal([[0x100, 4, false, ['stale_reader']]]);
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.include(
      'BUG: dev0: 32-bit read at offset 0x100 through mapping 0 after iounmap (use after release) in stale_reader',
    );
    expect(kernel.kasan.reports.map((r) => [r.object, r.access])).to.deep.equal([['dev0 #0', '32-bit read at offset 0x100']]);
    // The 64-bit fast path too.
    expect(caught(() => io.readqInto(0x100, new Uint32Array(2)))?.kind).to.equal('use-after-unmap');
    expect(bus.violations).to.have.length(2);
  });
});

describe('IoMem fast path: tracing and observers see every access', () => {
  const specs = [
    { name: 'R', offset: 0x4, access: 'RW' as const, reset: 0x10 },
    { name: 'LIVE', offset: 0x8, access: 'RO' as const, read: () => 0x77 },
    { name: 'Q', offset: 0x10, width: 64 as const, access: 'RW' as const },
  ];

  it('rwmmio switched on after the mapping was made records every access, plain reads included, in order', () => {
    const { io, kernel } = busWith(specs);
    expect(io.readl(0x4)).to.equal(0x10);
    kernel.trace.enable('rwmmio:*');
    io.readl(0x4);
    io.readl(0x8);
    io.writel(0x5, 0x4);
    io.writeqParts(0x1, 0x2, 0x10);
    io.readqInto(0x10, new Uint32Array(2));
    io.rawReadl(0x4);
    kernel.trace.enable('rwmmio:*', false);
    io.readl(0x4);
    expect(kernel.trace.peek().map((l) => `${l.event}: ${l.text.replace('<unknown> -> <unknown> ', '')}`)).to.deep.equal([
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004',
      'rwmmio_read: width=32 addr=0xffff800080000008',
      'rwmmio_post_read: width=32 val=0x77 addr=0xffff800080000008',
      'rwmmio_write: width=32 val=0x5 addr=0xffff800080000004',
      'rwmmio_post_write: width=32 val=0x5 addr=0xffff800080000004',
      'rwmmio_write: width=64 val=0x200000001 addr=0xffff800080000010',
      'rwmmio_post_write: width=64 val=0x200000001 addr=0xffff800080000010',
      'rwmmio_read: width=64 addr=0xffff800080000010',
      'rwmmio_post_read: width=64 val=0x200000001 addr=0xffff800080000010',
    ]);
  });

  it('a traced read names its callers in both records, also when the register hook calls other functions in between', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    const bank = new RegisterBank('two', 0x2000, [
      { name: 'A', offset: 0x8, access: 'RO', read: () => kernel.calls.run('cspmu_hook_helper', () => 0x99) },
      { name: 'B', offset: 0x1008, access: 'RO', read: () => 0x42 },
    ]);
    bus.map.map(0x60000, 0x2000, bank, 'two');
    // A one-page mapping takes readl's shortcut to the device; a two-page one goes through the checked path.
    const one = bus.ioremap(0x60000, 0x1000, 'two page 0');
    const both = bus.ioremap(0x60000, 0x2000, 'two');
    expect([one.readl(0x8), both.readl(0x8), both.readl(0x1008)]).to.deep.equal([0x99, 0x99, 0x42]);
    kernel.trace.enable('rwmmio:*');
    const inRead = (read: () => number) => kernel.calls.run('arm_cspmu_read_counter', read, 'arm_cspmu_event_update');
    expect([inRead(() => one.readl(0x8)), inRead(() => both.readl(0x1008))]).to.deep.equal([0x99, 0x42]);
    const caller = 'arm_cspmu_event_update -> arm_cspmu_read_counter';
    expect(kernel.trace.peek().map((l) => `${l.event}: ${l.text}`)).to.deep.equal([
      `rwmmio_read: ${caller} width=32 addr=0xffff800080000008`,
      `rwmmio_post_read: ${caller} width=32 val=0x99 addr=0xffff800080000008`,
      `rwmmio_read: ${caller} width=32 addr=0xffff800080011008`,
      `rwmmio_post_read: ${caller} width=32 val=0x42 addr=0xffff800080011008`,
    ]);
  });

  it('a plain read records what each read tracepoint says: either alone, or both with either filtered out', () => {
    const cases: [string, string | null, string | null, string[]][] = [
      ['read alone', '', null, ['rwmmio_read: width=32 addr=0xffff800080000004']],
      ['post-read alone', null, '', ['rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004']],
      ['read filtered out', 'width == 64', '', ['rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004']],
      ['post-read filtered out', '', 'width == 64', ['rwmmio_read: width=32 addr=0xffff800080000004']],
    ];
    for (const [what, read, post, want] of cases) {
      const { io, kernel } = busWith(specs);
      for (const [name, filter] of [
        ['rwmmio_read', read],
        ['rwmmio_post_read', post],
      ] as const) {
        if (filter === null) continue;
        const tp = kernel.trace.get(name);
        tp.enabled = true;
        if (filter !== '') tp.setFilter(filter);
      }
      expect(io.readl(0x4), what).to.equal(0x10);
      expect(
        kernel.trace.peek().map((l) => `${l.event}: ${l.text.replace('<unknown> -> <unknown> ', '')}`),
        what,
      ).to.deep.equal(want);
    }
  });

  it('a read tracepoint alone watches reads only; a filtered one builds the record before keeping it', () => {
    const { io, kernel } = busWith(specs);
    const post = kernel.trace.get('rwmmio_post_read');
    post.enabled = true;
    post.setFilter('val == 0x77');
    io.writel(0x6, 0x4);
    io.readl(0x4);
    io.readl(0x8);
    expect(kernel.trace.peek().map((l) => l.text)).to.deep.equal(['<unknown> -> <unknown> width=32 val=0x77 addr=0xffff800080000008']);
    expect(post.hits).to.equal(1);
  });

  it('an observer attached to a live mapping sees its plain reads, in order, and nothing after it detaches', () => {
    const { io, bus } = busWith(specs);
    io.readl(0x4);
    const rec = new MmioRecorder(bus, () => 0).start();
    io.readl(0x4);
    io.writel(0x9, 0x4);
    io.readl(0x4);
    io.readl(0x8);
    const { accesses } = rec.stop();
    io.readl(0x4);
    expect(accesses.map((a) => `${a.op}${a.width * 8} ${a.offset} ${a.value}`)).to.deep.equal(['R32 4 0x10', 'W32 4 0x9', 'R32 4 0x9', 'R32 8 0x77']);
  });

  it('an access in progress keeps the observers it began with, whoever attaches or detaches meanwhile', () => {
    const { io, bus } = busWith(specs);
    const seen: string[] = [];
    const late = { onAccess: (_io: unknown, offset: number) => void seen.push(`late after ${offset}`) };
    let detachLate: (() => void) | undefined;
    const detachSelf = bus.observe({
      before: (_io, offset) => {
        seen.push(`self before ${offset}`);
        detachSelf();
        detachLate = bus.observe(late);
      },
      onAccess: (_io, offset) => void seen.push(`self after ${offset}`),
    });
    io.readl(0x4);
    io.readl(0x8);
    detachLate?.();
    io.readl(0x4);
    expect(seen).to.deep.equal(['self before 4', 'self after 4', 'late after 8']);
    // One that stays attached and attaches another: the newcomer's first onAccess is for the next access.
    seen.length = 0;
    let detachNew: (() => void) | undefined;
    const detachStayer = bus.observe({
      before: (_io, offset) => {
        if (detachNew === undefined) detachNew = bus.observe(late);
        seen.push(`stayer before ${offset}`);
      },
      onAccess: () => undefined,
    });
    io.readl(0x4);
    io.readl(0x8);
    detachStayer();
    detachNew?.();
    expect(seen).to.deep.equal(['stayer before 4', 'stayer before 8', 'late after 8']);
  });
});

describe('IoMem fast path: what V8 sees of a mapping', () => {
  /** V8's own answers, through its natives syntax (allowed from here on; functions made now may use it). */
  function v8Says() {
    setFlagsFromString('--allow-natives-syntax');
    return {
      sameHiddenClass: new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean,
      fastProperties: new Function('a', 'return %HasFastProperties(a)') as (a: object) => boolean,
    };
  }
  const specs = [{ name: 'R', offset: 0x4, access: 'RW' as const, reset: 0x10 }];

  it('tracing on and off leaves a mapping with no readl of its own, in the hidden class it was made with', () => {
    const v8 = v8Says();
    const { io, bus, kernel } = busWith(specs);
    const early = bus.ioremap(0x10000, 0x1000, 'dev0 again');
    expect(Object.hasOwn(io, 'readl')).to.equal(false);
    for (let round = 0; round < 3; round++) {
      kernel.trace.enable('rwmmio:*');
      expect(Object.hasOwn(io, 'readl'), 'traced: the traced readl is its own').to.equal(true);
      kernel.trace.enable('rwmmio:*', false);
    }
    kernel.trace.enable('rwmmio:*');
    const madeTraced = bus.ioremap(0x10000, 0x1000, 'dev0 traced');
    kernel.trace.enable('rwmmio:*', false);
    // The hidden class of a mapping made while nothing traces: every other mapping must be back in it.
    const neverTraced = bus.ioremap(0x10000, 0x1000, 'dev0 untraced');
    for (const m of [io, early, madeTraced]) {
      expect(Object.hasOwn(m, 'readl'), "untraced: readl is the class's direct one").to.equal(false);
      expect(v8.fastProperties(m), 'no dictionary mode after a delete').to.equal(true);
      expect(v8.sameHiddenClass(m, neverTraced), 'back in the first hidden class').to.equal(true);
    }
    expect(io.readl(0x4)).to.equal(0x10);
    expect(kernel.trace.peek()).to.deep.equal([]);
  });
});
