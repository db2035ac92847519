// Tests that a 32-bit write to either half of an EXT64 event type or filter makes a counting counter follow the selection now in its registers.
import { expect } from 'chai';
import { PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const WORKLOAD = {
  name: 'wide',
  phases: [
    {
      durationNs: 1_000_000,
      streams: [
        { pmu: '*', event: 0x11, rate: 1e9 },
        { pmu: '*', event: 0x1100000011, rate: 3e9 },
        { pmu: '*', event: 0x12, values: { field: 'filter:32-63', rates: { '0x5': 2e9 }, otherwise: 1e9 } },
      ],
    },
  ],
};

describe('CoreSight PMU device model: 32-bit writes to 64-bit selections (FEAT_CSPMU_EXT64)', () => {
  function wide() {
    const r = rig({ counters: 3, counterBits: 64, atomic64: true, cycleCounter: false, ext64: true }, WORKLOAD);
    const { io0 } = r;
    io0.writeqParts(0x11, 0x11, REG.PMEVTYPER); // event 0x1100000011: 3 per ns
    io0.writeqParts(0x12, 0, REG.PMEVTYPER + 8);
    io0.writeqParts(0x5, 0x5, REG.PMEVFILTR + 8); // filter bits 32-63 = 5: 2 per ns
    io0.writel(0x3, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR_EXT64);
    return r;
  }
  const counts = (io0: ReturnType<typeof rig>['io0']) => [io0.readq(REG.PMEVCNTR), io0.readq(REG.PMEVCNTR + 8)];

  it('a write to the high half, equal to the low half, changes the selection: the counter counts the new one from then', () => {
    const { io0, clock } = wide();
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([30n, 20n]);
    // The old high words equal the low words (0x11 and 0x5): only the high half's own old value shows they changed.
    io0.writel(0, REG.PMEVTYPER + 4);
    io0.writel(0, REG.PMEVFILTR + 8 + 4);
    expect([io0.readq(REG.PMEVTYPER), io0.readq(REG.PMEVFILTR + 8)]).to.deep.equal([0x11n, 0x5n]);
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([40n, 30n]);
    io0.writel(0x11, REG.PMEVTYPER + 4);
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([70n, 40n]);
  });

  it('writing either half with the value it holds counts on exactly as before, looking nothing up', () => {
    const { io0, clock, dev } = wide();
    clock.advance(10);
    const lookups = dev.rateLookups;
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(0x5, REG.PMEVFILTR + 8);
    io0.writel(0x5, REG.PMEVFILTR + 8 + 4);
    io0.writeqParts(0x12, 0, REG.PMEVTYPER + 8);
    clock.advance(10);
    expect(counts(io0)).to.deep.equal([60n, 40n]);
    expect(dev.rateLookups).to.equal(lookups);
  });
});
