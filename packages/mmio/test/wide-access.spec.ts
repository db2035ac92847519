// Tests that a 64-bit access to a register bank must start at a 64-bit register: never half of one and half of the next.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { RegisterBank, type WriteHooks } from '../src/index.js';

describe('RegisterBank 64-bit accesses', () => {
  function pair() {
    const seen: string[] = [];
    const hooks: WriteHooks = {
      beforeWrite: (hook, arg) => void seen.push(`before ${hook}/${arg}`),
      afterWrite: (hook, arg, _actions, old) => void seen.push(`after ${hook}/${arg} over ${old}`),
    };
    const bank = new RegisterBank(
      'b',
      0x1000,
      [
        { name: 'A', offset: 0x0, width: 64, access: 'RW', reset: 1, resetHi: 2, writeHook: 3, hookArg: 1, hookFirst: true },
        { name: 'B', offset: 0x8, width: 64, access: 'RW', reset: 3, resetHi: 4, writeHook: 5, hookArg: 2, hookFirst: true },
        { name: 'R', offset: 0x10, access: 'RW', reset: 5 },
        { name: 'S', offset: 0x14, access: 'RW', reset: 6 },
      ],
      hooks,
    );
    const words = () => [bank.peek('A'), bank.peek('A', 1), bank.peek('B'), bank.peek('B', 1), bank.peek('R'), bank.peek('S')];
    return { bank, seen, words };
  }
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).to.be.instanceOf(KernelError);
      expect((e as KernelError).code).to.equal('EIO');
      return (e as Error).message;
    }
    return 'done';
  };
  const HIGH_HALF = 'A is a 64-bit register at 0x0; a 64-bit access must start there';

  it('refuses a write or read at the high half of a 64-bit register (EIO, the width check’s reason), touching nothing', () => {
    const { bank, seen, words } = pair();
    expect(bank.check(0x4, 8, true)).to.equal(HIGH_HALF);
    expect(bank.check(0x4, 8, false)).to.equal(HIGH_HALF);
    expect(refusal(() => bank.write64(0x4, 0x10, 0x20))).to.equal(`EIO: bank b: at 0x4: ${HIGH_HALF}`);
    expect(bank.tryWrite64(0x4, 0x10, 0x20)).to.equal(false);
    const out = Uint32Array.of(7, 7);
    expect(refusal(() => bank.read64(0x4, out))).to.equal(`EIO: bank b: at 0x4: ${HIGH_HALF}`);
    expect(bank.tryRead64(0x4, out)).to.equal(false);
    expect([...out]).to.deep.equal([7, 7]);
    expect(words()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(seen).to.deep.equal([]);
  });

  it('refuses a 64-bit access to 32-bit registers the same way, and takes one at a 64-bit register’s start', () => {
    const { bank, seen, words } = pair();
    const R32 = 'R is a 32-bit register; a 64-bit access is not allowed';
    expect(refusal(() => bank.write64(0x10, 0x10, 0x20))).to.equal(`EIO: bank b: at 0x10: ${R32}`);
    expect(refusal(() => bank.read64(0x10, new Uint32Array(2)))).to.equal(`EIO: bank b: at 0x10: ${R32}`);
    expect(bank.tryWrite64(0x10, 0x10, 0x20)).to.equal(false);
    expect(words()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    bank.write64(0x8, 0x30, 0x40);
    expect(bank.tryWrite64(0x0, 0x50, 0x60)).to.equal(true);
    const out = new Uint32Array(2);
    bank.read64(0x8, out);
    expect([...out]).to.deep.equal([0x30, 0x40]);
    expect(bank.tryRead64(0x0, out)).to.equal(true);
    expect([...out]).to.deep.equal([0x50, 0x60]);
    expect(words()).to.deep.equal([0x50, 0x60, 0x30, 0x40, 5, 6]);
    expect(seen).to.deep.equal(['before 5/2', 'after 5/2 over 3', 'before 3/1', 'after 3/1 over 1']);
  });
});
