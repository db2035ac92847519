// A device's read shadow is fixed once mapped: ioremap refuses a device whose plain-register bits changed since, with nothing consumed.
import { createKernel, KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { BankLayout, MmioBus, RegisterBank } from '../src/index.js';

const SPECS = [
  { name: 'PLAIN', offset: 0x0, access: 'RW' as const, reset: 0x11 },
  { name: 'HOOKED', offset: 0x4, access: 'RO' as const, read: () => 0x22 },
  { name: 'FAR', offset: 0x84, access: 'RW' as const, reset: 0x33 },
];

function twoBanksOfOneLayout() {
  const { kernel } = createKernel();
  const bus = new MmioBus(kernel);
  const layout = new BankLayout('dev', 0x1000, SPECS);
  const a = new RegisterBank('a', 0x1000, layout);
  const b = new RegisterBank('b', 0x1000, layout);
  bus.map.map(0x10000, 0x1000, a, 'a');
  bus.map.map(0x20000, 0x1000, b, 'b');
  return { bus, a, b };
}

function refusal(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
  throw new Error('expected a KernelError');
}

describe('IoMem read shadow: which registers are plain is fixed once a device is mapped', () => {
  it('refuses to map a device again once its plain bits changed, naming the offset, with nothing consumed, and maps it once they are back', () => {
    const { bus, a } = twoBanksOfOneLayout();
    const first = bus.ioremap(0x10000, 0x1000, 'a');
    const bits = a.readShadow.bits;
    const before = bits[0]!;
    bits[0] = before | 0b10; // HOOKED (offset 0x4) now claims to be plain
    const e = refusal(() => bus.ioremap(0x10000, 0x1000, 'a again'));
    expect([e.code, e.errno]).to.deep.equal(['EINVAL', 22]);
    expect(e.message).to.contain('ioremap for a again: device a changed which registers are plain reads (offset 0x4) after it was first mapped');
    expect(e.message).to.contain('must offer no read shadow');
    expect(bus.mappings()).to.deep.equal([first]);
    // A change in a later bits word is found too, by its own offset.
    bits[0] = before;
    bits[1]! ^= 0b10; // FAR (offset 0x84) no longer plain
    expect(refusal(() => bus.ioremap(0x10000, 0x1000, 'a')).message).to.contain('(offset 0x84)');
    bits[1]! ^= 0b10;
    // Put back: mapped, as the next mapping (no id or address was used by the refusals), with the hook still run.
    const again = bus.ioremap(0x10000, 0x1000, 'a');
    expect([again.mapId, again.virtAddress()]).to.deep.equal([1, first.virtAddress(0x10000)]);
    expect([again.readl(0x0), again.readl(0x4), again.readl(0x84)]).to.deep.equal([0x11, 0x22, 0x33]);
  });

  it('holds for every device sharing the layout: a change made through one refuses mapping the other', () => {
    const { bus, a, b } = twoBanksOfOneLayout();
    bus.ioremap(0x10000, 0x1000, 'a');
    expect(a.readShadow.bits).to.equal(b.readShadow.bits);
    a.readShadow.bits[0]! |= 0b10;
    expect(refusal(() => bus.ioremap(0x20000, 0x1000, 'b')).message).to.contain('device b changed which registers are plain reads (offset 0x4)');
    a.readShadow.bits[0]! &= ~0b10;
    expect(bus.ioremap(0x20000, 0x1000, 'b').readl(0x4)).to.equal(0x22);
  });

  it('a device never mapped may set its bits as it likes before its first mapping', () => {
    const { bus, b } = twoBanksOfOneLayout();
    // Unmapped so far: no table was made from these bits, so the first ioremap takes them as they are.
    b.readShadow.bits[0]! &= ~0b1; // PLAIN read through the bank from now on: same value
    expect(bus.ioremap(0x20000, 0x1000, 'b').readl(0x0)).to.equal(0x11);
    expect(bus.ioremap(0x10000, 0x1000, 'a').readl(0x0)).to.equal(0x11);
  });
});
