// Tests that a kernel has one MMIO bus: a second on the same kernel is refused, and the first keeps its tracing.
import { createKernel, KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { MmioBus, RegisterBank } from '../src/index.js';

const specs = [{ name: 'R', offset: 0x4, access: 'RW' as const, reset: 0x10 }];
const strip = (lines: { event: string; text: string }[]) => lines.map((l) => `${l.event}: ${l.text.replace('<unknown> -> <unknown> ', '')}`);

describe('One MMIO bus per kernel', () => {
  it('refuses (EBUSY) a second bus on a kernel, and the first still sees rwmmio switched on and off', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    bus.map.map(0x10000, 0x1000, new RegisterBank('dev', 0x1000, specs), 'dev0');
    const io = bus.ioremap(0x10000, 0x1000, 'dev0');
    let err: unknown;
    try {
      new MmioBus(kernel);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(KernelError);
    expect((err as KernelError).code).to.equal('EBUSY');
    expect((err as KernelError).detail).to.equal(
      'MmioBus: this kernel already has an MMIO bus (one address space, ioremap area and set of rwmmio tracepoints per machine); add every device to that bus instead of making a second',
    );
    // The refused bus took nothing from the first: tracing switched on reaches its mapping, and switched off stops there.
    kernel.trace.enable('rwmmio:*');
    expect(io.readl(0x4)).to.equal(0x10);
    expect([bus.quietReads, bus.quietWrites]).to.deep.equal([false, false]);
    kernel.trace.disableAll();
    expect([bus.quietReads, bus.quietWrites]).to.deep.equal([true, true]);
    expect(io.readl(0x4)).to.equal(0x10);
    expect(strip(kernel.trace.peek())).to.deep.equal([
      'rwmmio_read: width=32 addr=0xffff800080000004',
      'rwmmio_post_read: width=32 val=0x10 addr=0xffff800080000004',
    ]);
    // Another kernel has a bus of its own.
    expect(new MmioBus(createKernel().kernel).mappings()).to.deep.equal([]);
  });
});
