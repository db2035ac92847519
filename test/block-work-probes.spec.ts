// The work count behind the linear-work and boot-chain tests sees inside every native search builtin it claims to.
import { expect } from 'chai';
import { blockWork } from './helpers/block-work.js';
import { NATIVE_SCANS, type NativeScanName } from './helpers/block-work-probes.js';

describe('Block work: what the count sees', function () {
  this.timeout(60000);
  const scans = Object.keys(NATIVE_SCANS).map((name) => `scan: ${name as NativeScanName}` as const);
  let work: Record<(typeof scans)[number], number[]>;

  before(() => {
    work = blockWork(scans, [250, 1000]);
  });

  for (const scan of scans) {
    it(`${scan.slice(6)}: n calls each visiting n elements cost at least 12× at 4n (quadratic is 16×, the calls alone 4×)`, () => {
      const [small, large] = work[scan]!;
      expect(large! / small!, `${small} -> ${large}`).to.be.at.least(12);
    });
  }
});
