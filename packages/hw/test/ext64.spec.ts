// Tests of the PMU model with and without FEAT_CSPMU_EXT64: the driver's detection test and the moved PMCR and PMCNTEN.
import { expect } from 'chai';
import { loadPlatform, PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const ALL = 0xffffffff;

describe('CoreSight PMU device model: FEAT_CSPMU_EXT64', () => {
  it('without the extension, the driver’s test reads back 0 from PMCNTENCLR0 and PMDEVARCH names no EXT64 part', () => {
    const { io0 } = rig({ counters: 9, counterBits: 64 });
    io0.writel(ALL, REG.PMCNTENCLR);
    io0.writel(ALL, REG.PMCNTEN);
    expect(io0.readl(REG.PMCNTENCLR)).to.equal(0);
    expect(io0.readl(REG.PMDEVARCH) & 0xfff).to.equal(0xa56);
    expect((io0.readl(REG.PMDEVARCH) >>> 20) & 1).to.equal(1);
  });

  it('without the extension, 0xc10 is PMCNTENSET4: the test write enables counters 128-159 and nothing below', () => {
    const { io0 } = rig({ counters: 160, counterBits: 32, cycleCounter: false });
    io0.writel(ALL, REG.PMCNTENCLR);
    io0.writel(ALL, REG.PMCNTEN);
    expect(io0.readl(REG.PMCNTENCLR)).to.equal(0);
    expect(io0.readl(REG.PMCNTENSET + 16) >>> 0).to.equal(ALL);
  });

  it('with it, PMCNTEN writes the enables as a value: the test reads them back, and 0 clears them', () => {
    const { io0 } = rig({ counters: 9, counterBits: 64, ext64: true });
    io0.writel(ALL, REG.PMCNTENCLR);
    io0.writel(ALL, REG.PMCNTEN);
    // Counters 0-7 and the cycle counter at 31.
    expect(io0.readl(REG.PMCNTENCLR) >>> 0).to.equal(0x800000ff);
    io0.writel(0, REG.PMCNTEN);
    expect(io0.readl(REG.PMCNTENSET)).to.equal(0);
    expect(io0.readl(REG.PMDEVARCH) >>> 0).to.equal(0x47702af4);
  });

  it('with it, PMCR is at 0xe10 and 0xe04 is nothing', () => {
    const { io0, clock } = rig({ counters: 3, counterBits: 64, atomic64: true, ext64: true });
    io0.writeqParts(0x11, 0, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(100);
    expect(io0.readl(REG.PMCR)).to.equal(0);
    expect(io0.readq(REG.PMEVCNTR)).to.equal(0n);
    io0.writel(PMCR.E, REG.PMCR_EXT64);
    clock.advance(100);
    expect(io0.readq(REG.PMEVCNTR)).to.equal(100n);
    io0.writel(PMCR.P, REG.PMCR_EXT64);
    expect(io0.readq(REG.PMEVCNTR)).to.equal(0n);
  });

  it('with it, event types and filters are 64-bit registers at an 8-byte stride, and every bit selects', () => {
    const wl = {
      name: 'w',
      phases: [
        {
          durationNs: 1000,
          streams: [
            { pmu: '*', event: 0x11, rate: 1e9 },
            { pmu: '*', event: 0x100000011, rate: 3e9 },
            { pmu: '*', event: 0x12, ports: [1e9, 2e9] },
          ],
        },
      ],
    };
    const { io0, clock } = rig({ counters: 4, counterBits: 64, atomic64: true, cycleCounter: false, ext64: true }, wl);
    io0.writeqParts(0x11, 0, REG.PMEVTYPER);
    io0.writeqParts(0x11, 0x1, REG.PMEVTYPER + 8);
    io0.writeqParts(0x12, 0, REG.PMEVTYPER + 16);
    io0.writeqParts(0x2, 0, REG.PMEVFILTR + 16);
    // Counter 3 selects 0x12 through the low half only: its filter (0) still counts no port.
    io0.writel(0x12, REG.PMEVTYPER + 24);
    io0.writel(0xf, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR_EXT64);
    clock.advance(100);
    expect([0, 1, 2, 3].map((p) => io0.readq(REG.PMEVCNTR + 8 * p))).to.deep.equal([100n, 300n, 200n, 0n]);
    expect(io0.readq(REG.PMEVTYPER + 8)).to.equal(0x100000011n);
  });

  it('lays out at most 128 counters: a platform asking for more is refused with EINVAL, naming the rule', () => {
    const pmu = {
      label: 'x',
      id: 0,
      type: 'mc',
      implementer: '0x43b',
      product: '0x1',
      counters: 200,
      counterBits: 32,
      cycleCounter: false,
      dualPage: false,
      atomic64: false,
      clockHz: 1e9,
      base0: '0x1000',
      affinity: { container: 0 },
    };
    expect(() => loadPlatform({ name: 'p', cpus: { sockets: 1, coresPerSocket: 1 }, pmus: [{ ...pmu, ext64: true }] })).to.throw(
      'FEAT_CSPMU_EXT64 allows 1 to 128',
    );
    expect(loadPlatform({ name: 'p', cpus: { sockets: 1, coresPerSocket: 1 }, pmus: [pmu] }).pmus[0]!.counters).to.equal(200);
    expect(() => rig({ counters: 200, ext64: true })).to.throw('at most 128 counters');
  });
});
