// Tests of what traced accesses write into the ring: exact 64-bit values and addresses, a read's two records across the wrap, and in drop mode.

import { createKernel, ManualClock } from '@cspmu/kernel';
import { expect } from 'chai';
import { MmioBus, RegisterBank } from '../src/index.js';
import { busWith } from './helpers.js';

const specs = [
  { name: 'R', offset: 0x4, access: 'RW' as const, reset: 0x10 },
  { name: 'Q', offset: 0x8, access: 'RW' as const, width: 64 as const },
];
const strip = (lines: { event: string; text: string }[]) => lines.map((l) => `${l.event}: ${l.text.replace('<unknown> -> <unknown> ', '')}`);

describe('rwmmio records in the ring', () => {
  it('keeps 64-bit values exact at the 32-bit and 53-bit boundaries, written and read back', () => {
    const { io, kernel } = busWith(specs);
    kernel.trace.enable('rwmmio:*');
    const values = [2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 64n - 1n];
    for (const v of values) {
      io.writeq(v, 0x8);
      expect(io.readq(0x8)).to.equal(v);
    }
    const hex = (v: bigint) => `0x${v.toString(16)}`;
    expect(strip(kernel.trace.peek())).to.deep.equal(
      values.flatMap((v) => [
        `rwmmio_write: width=64 val=${hex(v)} addr=0xffff800080000008`,
        `rwmmio_post_write: width=64 val=${hex(v)} addr=0xffff800080000008`,
        'rwmmio_read: width=64 addr=0xffff800080000008',
        `rwmmio_post_read: width=64 val=${hex(v)} addr=0xffff800080000008`,
      ]),
    );
  });

  it("writes a plain read's two records across the ring's wrap, losing exactly the oldest", () => {
    const { io, kernel } = busWith(specs);
    kernel.trace.configure(3, 'overwrite'); // stored in 4 records
    kernel.trace.get('rwmmio_write').enabled = true;
    io.writel(0x20, 0x4); // record 0: the next read's pair is records 1-2, the one after 3 and 4 (storage 3 and 0)
    kernel.trace.enable('rwmmio:rwmmio_*read');
    kernel.trace.get('rwmmio_write').enabled = false;
    expect(io.readl(0x4)).to.equal(0x20);
    expect(io.readl(0x4)).to.equal(0x20);
    expect(kernel.trace.ring.written).to.equal(5);
    expect(kernel.trace.lost).to.equal(2);
    expect(strip(kernel.trace.peek())).to.deep.equal([
      'rwmmio_post_read: width=32 val=0x20 addr=0xffff800080000004',
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x20 addr=0xffff800080000004',
    ]);
  });

  it("reads a plain read's records right where a post-read record lands on an earlier read record's words", () => {
    const { io, kernel } = busWith([...specs, { name: 'S', offset: 0x14, access: 'RW' as const, reset: 0x30 }]);
    kernel.trace.configure(4, 'overwrite');
    kernel.trace.enable('rwmmio:rwmmio_*read');
    kernel.trace.get('rwmmio_write').enabled = true;
    io.readl(0x4); // records 0-1, as a pair: configure() made the pair writer for the new ring
    io.writel(0x20, 0x4); // record 2
    io.readl(0x4); // records 3-4, as a pair: the read record is in storage 3
    io.writel(0x21, 0x4); // record 5
    io.readl(0x14); // records 6-7, as a pair: the post-read record is in storage 3
    expect(strip(kernel.trace.peek())).to.deep.equal([
      'rwmmio_post_read: width=32 val=0x20 addr=0xffff800080000004',
      'rwmmio_write: width=32 val=0x21 addr=0xffff800080000004',
      'rwmmio_read: width=32 addr=0xffff800080000014',
      'rwmmio_post_read: width=32 val=0x30 addr=0xffff800080000014',
    ]);
  });

  it('a plain read traced after the ring is replaced writes into the new ring', () => {
    const { io, kernel } = busWith(specs);
    kernel.trace.enable('rwmmio:rwmmio_*read');
    io.readl(0x4);
    kernel.trace.configure(16, 'overwrite');
    io.readl(0x4);
    io.readl(0x4);
    expect(strip(kernel.trace.peek())).to.deep.equal([
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004',
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004',
    ]);
  });

  it('drops its pair writer for the old ring as soon as configure() replaces the ring, traced read or not', () => {
    const { bus, kernel } = busWith(specs);
    const before = bus.rw.read32Plain;
    kernel.trace.configure(16, 'overwrite');
    // No read has run since: the writer holding the old ring's views must already be gone, or the old ring stays reachable.
    expect(bus.rw.read32Plain).to.not.equal(before);
    const again = bus.rw.read32Plain;
    kernel.trace.configure(8, 'drop');
    expect(bus.rw.read32Plain).to.not.equal(again);
  });

  it('claims no record when the clock throws during a traced plain read: the ring holds what it held', () => {
    class FailingClock extends ManualClock {
      failing = false;
      override now(): number {
        if (this.failing) throw new Error('clock failed');
        return super.now();
      }
    }
    const clock = new FailingClock();
    const { kernel } = createKernel({ clock });
    const bus = new MmioBus(kernel);
    bus.map.map(0x10000, 0x1000, new RegisterBank('dev', 0x1000, specs), 'dev0');
    const io = bus.ioremap(0x10000, 0x1000, 'dev0');
    kernel.trace.configure(4, 'overwrite');
    kernel.trace.enable('rwmmio:rwmmio_*read');
    io.readl(0x4);
    clock.advance(5);
    io.readl(0x4); // the ring is full: the next pair would overwrite the first
    const held = kernel.trace.peek();
    const written = kernel.trace.ring.written;
    clock.failing = true;
    expect(() => io.readl(0x4)).to.throw('clock failed');
    clock.failing = false;
    expect(kernel.trace.ring.written).to.equal(written);
    expect(kernel.trace.peek()).to.deep.equal(held);
  });

  it('in drop mode keeps the read record that fits and counts its post-read record lost', () => {
    const { io, kernel } = busWith(specs);
    kernel.trace.configure(3, 'drop');
    kernel.trace.enable('rwmmio:rwmmio_*read');
    io.readl(0x4);
    io.readl(0x4);
    io.readl(0x4);
    expect(kernel.trace.lost).to.equal(3);
    expect(strip(kernel.trace.peek())).to.deep.equal([
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004',
      'rwmmio_read: width=32 addr=0xffff800080000004',
    ]);
  });

  it("clears the value's high word a plain read's post-read record does not use, over a record that held one", () => {
    const { io, kernel } = busWith(specs);
    kernel.trace.configure(1, 'overwrite'); // one record: each overwrites the last, in the same words
    kernel.trace.enable('rwmmio:*');
    io.writeq(2n ** 64n - 1n, 0x8);
    expect(io.readl(0x4)).to.equal(0x10);
    expect(strip(kernel.trace.peek())).to.deep.equal(['rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004']);
    expect(kernel.trace.lost).to.equal(3);
  });

  it("stamps both of a plain read's records with the CPU it ran on, up to the last one a record can name", () => {
    const { kernel } = createKernel({ topology: { nodeOfCpu: new Array(65536).fill(0) } });
    const bus = new MmioBus(kernel);
    bus.map.map(0x10000, 0x1000, new RegisterBank('dev', 0x1000, specs), 'dev0');
    const io = bus.ioremap(0x10000, 0x1000, 'dev0');
    kernel.trace.enable('rwmmio:rwmmio_*read');
    kernel.smp.on(3, () => io.readl(0x4));
    kernel.smp.on(65535, () => io.readl(0x4));
    expect(kernel.trace.peek().map((l) => `${l.cpu} ${l.event}`)).to.deep.equal([
      '3 rwmmio_read',
      '3 rwmmio_post_read',
      '65535 rwmmio_read',
      '65535 rwmmio_post_read',
    ]);
  });
});
