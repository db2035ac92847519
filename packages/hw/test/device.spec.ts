// Tests of the CoreSight PMU model through MMIO alone: identity registers, enables, counting, overflow, interrupts and tearing.
import { IoMem } from '@cspmu/mmio';
import { expect } from 'chai';
import { PMCFGR, PMCR, REG } from '../src/index.js';
import { rig } from './helpers.js';

const CNT = (n: number, stride = 4) => REG.PMEVCNTR + n * stride;

describe('CoreSight PMU device model', () => {
  it('refuses a geometry PMCFGR cannot describe, however the model is built (EINVAL naming the field)', () => {
    const refused = (over: Parameters<typeof rig>[0]) => {
      try {
        rig(over);
      } catch (e) {
        return (e as Error).message;
      }
      return 'built';
    };
    expect([0, 65, 1.5].map((counterBits) => refused({ counterBits }))).to.deep.equal([
      'EINVAL: pmu0: counterBits must be 1..64, got 0',
      'EINVAL: pmu0: counterBits must be 1..64, got 65',
      'EINVAL: pmu0: counterBits must be 1..64, got 1.5',
    ]);
    expect(refused({ counters: 0 })).to.equal('EINVAL: pmu0: counters must be 1..256 for 32-bit counters, got 0');
    expect(refused({ counterBits: 32, counters: 257 })).to.equal('EINVAL: pmu0: counters must be 1..256 for 32-bit counters, got 257');
    expect(refused({ counterBits: 32, counters: 129, ext64: true })).to.equal('EINVAL: pmu0: FEAT_CSPMU_EXT64 lays out at most 128 counters, got 129');
    expect(refused({ counterBits: 1 })).to.equal('built');
  });

  it('describes itself in PMCFGR and PMIIDR', () => {
    const { io0 } = rig({ counters: 9, counterBits: 64, cycleCounter: true });
    const cfgr = io0.readl(REG.PMCFGR);
    expect(cfgr & PMCFGR.N_MASK).to.equal(8);
    expect((cfgr >> PMCFGR.SIZE_SHIFT) & PMCFGR.SIZE_MASK).to.equal(63);
    expect(cfgr & PMCFGR.CC).to.equal(PMCFGR.CC);
    expect(io0.readl(REG.PMIIDR)).to.equal(0x5a01243b);
  });

  it('SET and CLR views share one bitmap and only implemented counters take bits', () => {
    const { io0 } = rig({ counters: 5, cycleCounter: true });
    // Counters 0-3 and the cycle counter at 31.
    io0.writel(0xffffffff, REG.PMCNTENSET);
    expect(io0.readl(REG.PMCNTENSET) >>> 0).to.equal(0x8000000f);
    expect(io0.readl(REG.PMCNTENCLR) >>> 0).to.equal(0x8000000f);
    io0.writel(0x80000002, REG.PMCNTENCLR);
    expect(io0.readl(REG.PMCNTENSET)).to.equal(0xd);
    io0.writel(0x4, REG.PMINTENSET);
    io0.writel(0x1, REG.PMINTENSET);
    expect(io0.readl(REG.PMINTENCLR)).to.equal(0x5);
    io0.writel(0x4, REG.PMINTENCLR);
    expect(io0.readl(REG.PMINTENSET)).to.equal(0x1);
  });

  it('counts only while PMCR.E and the enable bit are set, and only the programmed event', () => {
    const { io0, clock } = rig();
    io0.writel(0x11, REG.PMEVTYPER + 0 * 4);
    io0.writel(0x99, REG.PMEVTYPER + 1 * 4);
    io0.writel(0x3, REG.PMCNTENSET);
    clock.advance(1000);
    expect(io0.readl(CNT(0))).to.equal(0);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(1000);
    expect(io0.readl(CNT(0))).to.equal(1000);
    expect(io0.readl(CNT(1))).to.equal(0);
    io0.writel(0x1, REG.PMCNTENCLR);
    clock.advance(500);
    expect(io0.readl(CNT(0))).to.equal(1000);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(0, REG.PMCR);
    clock.advance(500);
    expect(io0.readl(CNT(0))).to.equal(1000);
  });

  it('PMCR.P resets event counters and PMCR.C the cycle counter; both read back as 0', () => {
    const { io0, clock } = rig();
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x80000001, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(300);
    expect(io0.readl(CNT(0))).to.equal(300);
    expect(io0.readl(CNT(31))).to.equal(300);
    io0.writel(PMCR.E | PMCR.P, REG.PMCR);
    expect(io0.readl(REG.PMCR)).to.equal(PMCR.E);
    expect(io0.readl(CNT(0))).to.equal(0);
    expect(io0.readl(CNT(31))).to.equal(300);
    clock.advance(10);
    io0.writel(PMCR.E | PMCR.C, REG.PMCR);
    expect(io0.readl(CNT(0))).to.equal(10);
    expect(io0.readl(CNT(31))).to.equal(0);
  });

  it('wraps a 32-bit counter and raises a level IRQ at the exact virtual time of the overflow', () => {
    const { io0, clock, irqTimes, handleIrqs, dev } = rig();
    const lowered: number[] = [];
    handleIrqs(() => {
      // The handler clears the overflow (W1C), which lowers the line.
      const v = io0.readl(REG.PMOVSCLR);
      io0.writel(v, REG.PMOVSCLR);
      lowered.push(v);
    });
    clock.advance(1234);
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x7fffffff, CNT(0));
    io0.writel(0x1, REG.PMINTENSET);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    // 2^31 + 1 events at 1 event/ns take the counter from 0x7fffffff past 0xffffffff.
    clock.advance(2 ** 31);
    expect(irqTimes).to.deep.equal([]);
    expect(io0.readl(CNT(0))).to.equal(0xffffffff);
    clock.advance(1);
    expect(irqTimes).to.deep.equal([1234 + 2 ** 31 + 1]);
    expect(lowered).to.deep.equal([0x1]);
    expect(io0.readl(CNT(0))).to.equal(0);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0);
    expect(dev.irqLineAsserted).to.equal(false);
    clock.advance(5);
    expect(io0.readl(CNT(0))).to.equal(5);
  });

  it('keeps the overflow pending (line asserted) until PMOVSCLR is written, and PMOVSSET sets bits', () => {
    const { io0, clock, dev, kernel, irq } = rig();
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0xfffffff0, CNT(0));
    io0.writel(0x1, REG.PMINTENSET);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(100);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x1);
    expect(dev.irqLineAsserted).to.equal(true);
    expect(kernel.irqs.stats(irq).unhandled).to.equal(1);
    io0.writel(0x0, REG.PMOVSCLR);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x1);
    io0.writel(0x1, REG.PMOVSCLR);
    expect(dev.irqLineAsserted).to.equal(false);
    io0.writel(0x2, REG.PMOVSSET);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x2);
    expect(io0.readl(REG.PMOVSSET)).to.equal(0x2);
  });

  it('counts 10^12 events exactly, lazily', () => {
    const { io0, clock, dev } = rig({ counterBits: 64, atomic64: true });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(1_000_000_000_000);
    expect(io0.readq(CNT(0, 8))).to.equal(1_000_000_000_000n);
    expect(dev.counterValue(0)).to.equal(1_000_000_000_000n);
  });

  it('keeps 64-bit counter values exact above 2^53', () => {
    const { io0, clock } = rig({ counterBits: 64, atomic64: true });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writeq(0x7fffffffffffffffn, CNT(0, 8));
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(3);
    expect(io0.readq(CNT(0, 8))).to.equal(0x8000000000000002n);
  });

  it('reads a 40-bit counter with readq as its 40 bits, whatever the high bits of its register hold', () => {
    const { io0 } = rig({ counterBits: 40, atomic64: true });
    io0.writeq(0xfffffffffffffffen, CNT(0, 8));
    expect(io0.readq(CNT(0, 8))).to.equal(0xfffffffffen);
  });

  it('lets a naive hi/lo read of a non-atomic 64-bit counter tear, and hi-lo-hi survive it', () => {
    const { io0, clock } = rig({ counterBits: 64, atomic64: false, accessLatencyNs: 1 });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(100);
    // Park the counter just below a 2^32 boundary: each access takes 1 ns, 1 event/ns.
    io0.loHiWriteq(0xfffffffd, 0x0, CNT(0, 8));
    const hi = io0.readl(CNT(0, 8) + 4);
    const lo = io0.readl(CNT(0, 8));
    const naive = hi * 2 ** 32 + lo;
    expect(hi).to.equal(0);
    expect(naive).to.be.lessThan(0xfffffffd);
    const out = new Uint32Array(2);
    expect(io0.readqHiLoHi(CNT(0, 8), out)).to.equal(true);
    const good = IoMem.toNumber(out);
    expect(good).to.be.greaterThan(2 ** 32);
    expect(good).to.be.lessThan(2 ** 32 + 16);
  });

  it('never tears a 64-bit read with single-copy atomic access', () => {
    const { io0 } = rig({ counterBits: 64, atomic64: true, accessLatencyNs: 1 });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    io0.loHiWriteq(0xfffffffe, 0x0, CNT(0, 8));
    const v = io0.readq(CNT(0, 8));
    expect(v >= 0xfffffffen && v < 0x100000010n).to.equal(true);
  });

  it('puts counters and PMOVSCLR in page 1 of a dual-page PMU, the rest in page 0', () => {
    const { io0, io1, clock, dev } = rig({ dualPage: true });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(50);
    expect(io1.readl(CNT(0))).to.equal(50);
    expect(io0.readl(CNT(0))).to.equal(0);
    expect(dev.page0.unknown.get(CNT(0))).to.deep.equal({ reads: 1, writes: 0 });
    io1.writel(0x1, REG.PMOVSSET);
    expect(io1.readl(REG.PMOVSCLR)).to.equal(1);
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0);
    expect(io1.readl(REG.PMCR)).to.equal(0);
    expect(io0.readl(REG.PMCR)).to.equal(PMCR.E);
  });

  it('reads PMIIDR as 0 when told to, with PMPIDR0-4 rebuilding the identity', () => {
    const { io0 } = rig({ pmiidrZero: true, implementer: 0x43b, product: 0x5a1, variant: 3, revision: 4 });
    expect(io0.readl(REG.PMIIDR)).to.equal(0);
    const p0 = io0.readl(REG.PMPIDR0);
    const p1 = io0.readl(REG.PMPIDR1);
    const p2 = io0.readl(REG.PMPIDR2);
    const p3 = io0.readl(REG.PMPIDR3);
    const p4 = io0.readl(REG.PMPIDR4);
    const product = (p0 & 0xff) | ((p1 & 0xf) << 8);
    const implementer = ((p1 >> 4) & 0xf) | ((p2 & 0x7) << 4) | ((p4 & 0xf) << 8);
    const variant = (p2 >> 4) & 0xf;
    const revision = (p3 >> 4) & 0xf;
    expect({ product, implementer, variant, revision }).to.deep.equal({ product: 0x5a1, implementer: 0x43b, variant: 3, revision: 4 });
    expect(p2 & 0x8).to.equal(0x8);
  });

  it('freezes every counter while an overflow is pending when FZO is enabled', () => {
    const { io0, clock } = rig({ fzo: true });
    expect(io0.readl(REG.PMCFGR) & PMCFGR.FZO).to.equal(PMCFGR.FZO);
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(0xfffffff0, CNT(0));
    io0.writel(0x3, REG.PMCNTENSET);
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    clock.advance(100);
    // Counter 0 overflowed after 16 events; both froze then.
    expect(io0.readl(REG.PMOVSCLR)).to.equal(0x1);
    expect(io0.readl(CNT(0))).to.equal(0);
    expect(io0.readl(CNT(1))).to.equal(16);
    io0.writel(0x1, REG.PMOVSCLR);
    clock.advance(10);
    expect(io0.readl(CNT(1))).to.equal(26);
    expect(io0.readl(CNT(0))).to.equal(10);
  });

  it('does not freeze without FZO support even if PMCR.FZO is written', () => {
    const { io0, clock } = rig({ fzo: false });
    io0.writel(0x11, REG.PMEVTYPER + 4);
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(0xfffffff0, CNT(0));
    io0.writel(0x3, REG.PMCNTENSET);
    io0.writel(PMCR.E | PMCR.FZO, REG.PMCR);
    expect(io0.readl(REG.PMCR)).to.equal(PMCR.E);
    clock.advance(100);
    expect(io0.readl(CNT(1))).to.equal(100);
  });

  it('counts filtered port traffic by the PMEVFILTR bitmap', () => {
    const { io0, clock } = rig({}, { name: 'ports', phases: [{ durationNs: 1000, streams: [{ pmu: 'pmu0', event: 0, ports: [1e9, 2e9, 4e9] }] }] });
    io0.writel(0x0, REG.PMEVTYPER);
    io0.writel(0x0, REG.PMEVTYPER + 4);
    io0.writel(0x0, REG.PMEVTYPER + 8);
    io0.writel(0x0, REG.PMEVFILTR);
    io0.writel(0x2, REG.PMEVFILTR + 4);
    io0.writel(0x7, REG.PMEVFILTR + 8);
    io0.writel(0x7, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(100);
    expect([io0.readl(CNT(0)), io0.readl(CNT(1)), io0.readl(CNT(2))]).to.deep.equal([0, 200, 700]);
  });

  it('runs the cycle counter at the PMU clock whatever the workload', () => {
    const { io0, clock } = rig({ clockHz: 1.5e9 });
    io0.writel(0x80000000, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(1000);
    expect(io0.readl(CNT(31))).to.equal(1500);
  });

  it('counts across workload phases exactly', () => {
    const wl = {
      name: 'p',
      repeat: true,
      phases: [
        { durationNs: 100, streams: [{ pmu: '*', event: 1, rate: 1e9 }] },
        { durationNs: 100, streams: [{ pmu: '*', event: 1, rate: 3e9 }] },
      ],
    };
    const { io0, clock } = rig({ counterBits: 64, atomic64: true }, wl);
    io0.writel(0x1, REG.PMEVTYPER);
    io0.writel(0x1, REG.PMCNTENSET);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advance(450);
    // 100 + 300 + 100 + 300 + 50
    expect(io0.readq(CNT(0, 8))).to.equal(850n);
  });
});
