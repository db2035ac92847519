// Tests that writel and writeq's direct paths take exactly the values and offsets the checked paths take, with the same bits stored and the same refusals.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { busWith } from './helpers.js';

const SPECS = [
  { name: 'R', offset: 0x0, access: 'RW' as const },
  { name: 'Q', offset: 0x8, access: 'RW' as const, width: 64 as const },
];

/** The bus with writes direct (nothing watches them) or checked (an rwmmio write tracepoint on). */
function rigged(checked: boolean) {
  const r = busWith(SPECS);
  if (checked) r.kernel.trace.enable('rwmmio:rwmmio_write');
  return r;
}

function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof KernelError ? `${e.code}: ${e.message}` : `raw ${String(e)}`;
  }
}

describe('IoMem direct writes take what the checked path takes', () => {
  for (const checked of [false, true]) {
    it(`${checked ? 'checked' : 'direct'}: stores every 32-bit pattern given as an unsigned, negative or wider whole number`, () => {
      const { io, bank } = rigged(checked);
      const cases: [number, number][] = [
        [0xffffffff, 0xffffffff],
        [0x80000000, 0x80000000],
        [-1, 0xffffffff],
        [-0x80000000, 0x80000000],
        [2 ** 32 + 5, 5],
        [2 ** 40 + 0x80000001, 0x80000001],
      ];
      for (const [v, stored] of cases) {
        io.writel(v, 0x0);
        expect(bank.peek('R'), String(v)).to.equal(stored);
      }
      io.writeqParts(0xffffffff, -2, 0x8);
      expect([bank.peek('Q'), bank.peek('Q', 1)]).to.deep.equal([0xffffffff, 0xfffffffe]);
      io.writeqParts(2 ** 32 + 7, 0x80000000, 0x8);
      expect([bank.peek('Q'), bank.peek('Q', 1)]).to.deep.equal([7, 0x80000000]);
    });
  }

  it('refuses the same values and offsets with the same errors, direct or checked, and stores nothing', () => {
    const bad: [string, (io: ReturnType<typeof busWith>['io']) => void][] = [
      ['fraction', (io) => io.writel(1.5, 0x0)],
      ['string', (io) => io.writel('1' as unknown as number, 0x0)],
      ['NaN', (io) => io.writel(Number.NaN, 0x0)],
      ['object offset', (io) => io.writel(1, { valueOf: () => 0 } as unknown as number)],
      ['bigint offset', (io) => io.writel(1, 4n as unknown as number)],
      ['misaligned', (io) => io.writel(1, 0x2)],
      ['past the page', (io) => io.writel(1, 0x1000)],
      ['negative offset', (io) => io.writel(1, -4)],
      ['q fraction low', (io) => io.writeqParts(0.5, 0, 0x8)],
      ['q string high', (io) => io.writeqParts(0, 'x' as unknown as number, 0x8)],
      ['q fraction high', (io) => io.writeqParts(0, 2.5, 0x8)],
      ['q NaN high', (io) => io.writeqParts(0, Number.NaN, 0x8)],
      ['q misaligned', (io) => io.writeqParts(1, 2, 0xc)],
      ['q bigint offset', (io) => io.writeqParts(1, 2, 8n as unknown as number)],
      ['q on a 32-bit register', (io) => io.writeqParts(1, 2, 0x0)],
    ];
    for (const [what, access] of bad) {
      const direct = rigged(false);
      const checked = rigged(true);
      const d = outcome(() => access(direct.io));
      expect(d, what).to.not.equal('ok');
      expect(d, what).to.not.match(/^raw/);
      expect(d, what).to.equal(outcome(() => access(checked.io)));
      expect([direct.bank.peek('R'), direct.bank.peek('Q'), direct.bank.peek('Q', 1)], what).to.deep.equal([0, 0, 0]);
    }
  });
});
