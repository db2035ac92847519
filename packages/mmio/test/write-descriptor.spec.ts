// Tests that the write-descriptor constants keep the numbers RegisterBank's write path reads as literals.
import { expect } from 'chai';
import { WRITE_CLEAR, WRITE_HOOK_FIRST, WRITE_IGNORED, WRITE_MASKED, WRITE_SET, WRITE_STRIDE, WRITE_WIDE } from '../src/bank-layout.js';

describe('BankLayout write descriptor', () => {
  it('uses the kinds, flags and stride RegisterBank compares as literals (renumber both together)', () => {
    expect({ WRITE_IGNORED, WRITE_MASKED, WRITE_SET, WRITE_CLEAR, WRITE_HOOK_FIRST, WRITE_WIDE, WRITE_STRIDE }).to.deep.equal({
      WRITE_IGNORED: 1,
      WRITE_MASKED: 2,
      WRITE_SET: 3,
      WRITE_CLEAR: 4,
      // Slot 0 is kind & 7, then kind & 8 and kind & 16; a word's slots start at word * 8.
      WRITE_HOOK_FIRST: 8,
      WRITE_WIDE: 16,
      WRITE_STRIDE: 8,
    });
  });
});
