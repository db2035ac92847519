// Tests that every access setting an overflow bit drives the line before it completes: a PMINTENSET write right after it, which drives only for an enable it changed, finds the line right, batched overflows included.
import { IRQ_HANDLED } from '@cspmu/kernel';
import { expect } from 'chai';
import { PMCR, REG, type WorkloadSpec } from '../src/index.js';
import { rig } from './helpers.js';

const CNT0 = REG.PMEVCNTR;
/** Counter 0 is preloaded 16 events short of its wrap and enabled at 1000 ns; at 1 event/ns it wraps at 1016 ns, and every 16 ns after a rewrite. */
const PRELOAD = 0xfffffff0;
const WRAP_AT = 1016;

/** Event 0x11 at 1 per ns while PMIMPDEF0 is 0, a quarter of that while it is 2. */
const WORKLOAD: WorkloadSpec = {
  name: 'impdef-rate',
  phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, values: { field: 'impdef0:0-7', rates: { '0': 1e9, '2': 2.5e8 } } }] }],
};

type Io = ReturnType<typeof rig>['io0'];

/** Counter 0 counting toward its wrap with its interrupt enabled; counter 1 with neither. No handler: a raised line stays up. */
function armed() {
  const r = rig({}, WORKLOAD);
  const irqs = r.kernel.irqs;
  const raise = irqs.raise.bind(irqs);
  let rises = 0;
  irqs.raise = (irq: number) => {
    rises++;
    raise(irq);
  };
  r.io0.writel(0x11, REG.PMEVTYPER);
  r.io0.writel(PRELOAD, CNT0);
  r.io0.writel(0x1, REG.PMINTENSET);
  r.io0.writel(0x1, REG.PMCNTENSET);
  r.clock.advanceTo(1000);
  return { ...r, rises: () => rises };
}

describe('CoreSight PMU model: an access that sets an overflow bit drives the line before the next access', () => {
  // Each access folds counter 0 as it wraps (or sets its bit outright); the next access enables counter 1's interrupt, which
  // has no overflow pending, so that write drives nothing itself: the line must already be up.
  for (const [what, setter] of [
    ['a PMCR write clearing E', (io: Io) => io.writel(0, REG.PMCR)],
    ['a PMCR write resetting the counters', (io: Io) => io.writel(PMCR.E | PMCR.P, REG.PMCR)],
    ['a PMCNTENCLR write', (io: Io) => io.writel(0x1, REG.PMCNTENCLR)],
    ['a PMEVCNTR write', (io: Io) => io.writel(0x100, CNT0)],
    ['a PMEVTYPER write', (io: Io) => io.writel(0x99, REG.PMEVTYPER)],
    ['a PMIMPDEF write changing the rate', (io: Io) => io.writel(2, REG.PMIMPDEF)],
    ['a read of the counter', (io: Io) => void io.readl(CNT0)],
    ['a PMOVSSET write', (io: Io) => io.writel(0x1, REG.PMOVSSET)],
  ] as const) {
    it(`${what} at the wrap instant, then a PMINTENSET write of an enable with nothing pending: the line is up, raised once`, () => {
      const { io0, clock, dev, rises } = armed();
      const seen: unknown[] = [];
      // Armed before the counter's own overflow timer, for the same instant: it runs first.
      clock.at(WRAP_AT, () => {
        setter(io0);
        seen.push(dev.irqLineAsserted);
        io0.writel(0x2, REG.PMINTENSET);
        seen.push(dev.irqLineAsserted, rises());
      });
      io0.writel(PMCR.E, REG.PMCR);
      clock.advanceTo(WRAP_AT + 100);
      expect(seen).to.deep.equal([true, true, 1]);
      expect([io0.readl(REG.PMOVSSET), io0.readl(REG.PMINTENSET), dev.irqLineAsserted, rises()]).to.deep.equal([0x1, 0x3, true, 1]);
    });
  }

  it('the overflow timer, then a PMINTENSET write at the same instant of an enable with nothing pending: the line is up, raised once', () => {
    const { io0, clock, dev, rises } = armed();
    io0.writel(PMCR.E, REG.PMCR);
    const seen: unknown[] = [];
    // Armed after the overflow timer, for the same instant: it runs after the wrap was folded and driven.
    clock.at(WRAP_AT, () => {
      seen.push(dev.irqLineAsserted);
      io0.writel(0x2, REG.PMINTENSET);
      seen.push(dev.irqLineAsserted, rises());
    });
    clock.advanceTo(WRAP_AT + 100);
    expect(seen).to.deep.equal([true, true, 1]);
    expect([io0.readl(REG.PMOVSSET), dev.irqLineAsserted]).to.deep.equal([0x1, true]);
  });

  /**
   * Counter 0 overflows every 16 ns from 1016, and a handler clears its bit and rewrites the preload, so from the third
   * interrupt on the device batches the rest into one closed-form replay (unless `batched` is false, which refuses the
   * replay and has every interrupt delivered one by one). At 1800, an overflow instant, a timer armed first disables the
   * interrupt; at 1900 (after 1896's overflow, pending with its interrupt off) another writes the enable of counter 1 and
   * at 1950 one enables counter 0's again, which raises the line for the two overflows pending then.
   */
  function storm(batched: boolean) {
    const r = rig({}, WORKLOAD);
    const { io0, clock, kernel, irq, dev } = r;
    const handled: number[] = [];
    let replayed = 0;
    kernel.irqs.request(
      irq,
      () => {
        handled.push(clock.now());
        const v = io0.readl(REG.PMOVSCLR);
        io0.writel(v, REG.PMOVSCLR);
        io0.writel(PRELOAD, CNT0);
        return IRQ_HANDLED;
      },
      'test',
      (k) => {
        if (!batched) return false;
        replayed += k;
        return true;
      },
    );
    const seen: [number, boolean, number][] = [];
    const look = () => void seen.push([clock.now(), dev.irqLineAsserted, kernel.irqs.stats(irq).delivered]);
    clock.at(1800, () => {
      io0.writel(0x1, REG.PMINTENCLR);
      look();
    });
    clock.at(1900, () => {
      io0.writel(0x2, REG.PMINTENSET);
      look();
    });
    clock.at(1950, () => {
      io0.writel(0x1, REG.PMINTENSET);
      look();
    });
    io0.writel(0x11, REG.PMEVTYPER);
    io0.writel(PRELOAD, CNT0);
    io0.writel(0x1, REG.PMINTENSET);
    io0.writel(0x1, REG.PMCNTENSET);
    clock.advanceTo(1000);
    io0.writel(PMCR.E, REG.PMCR);
    clock.advanceTo(2000);
    look();
    return { seen, handled, replayed, count: io0.readl(CNT0), ovs: io0.readl(REG.PMOVSSET), stats: { ...kernel.irqs.stats(irq) } };
  }

  it('a PMINTENSET/CLR write at the instant a batch of replayed overflows ends, and one while an overflow is pending: as delivered one by one', () => {
    const one = storm(false);
    const batch = storm(true);
    // One by one: 49 interrupts, 1016 to 1784 every 16 ns. At 1800 the interrupt is off before that instant's overflow
    // (its timer was armed after the one that disabled it), so the overflow stays pending with the line down and nothing
    // rewrites the counter, until enabling counter 0's interrupt again at 1950 raises the line within that write; the
    // handler's preload then overflows every 16 ns again.
    const every16 = (from: number, n: number) => Array.from({ length: n }, (_, j) => from + 16 * j);
    expect(one.handled).to.deep.equal([...every16(1016, 49), ...every16(1950, 4)]);
    expect(one.replayed).to.equal(0);
    const expected: [number, boolean, number][] = [
      [1800, false, 49],
      [1900, false, 49],
      [1950, false, 50],
      [2000, false, 53],
    ];
    expect(one.seen).to.deep.equal(expected);
    // The handler at 1998 rewrote the preload: 2 events since.
    expect([one.count, one.ovs]).to.deep.equal([PRELOAD + 2, 0]);
    // Batched: the same interrupts, lines, count and status; most of the interrupts were replayed, not handled one by one.
    expect(batch.replayed).to.be.greaterThan(40);
    expect(batch.handled.length + batch.replayed).to.equal(53);
    expect(batch.handled).to.include(1950);
    expect(batch.seen).to.deep.equal(expected);
    expect([batch.count, batch.ovs, batch.stats]).to.deep.equal([one.count, one.ovs, one.stats]);
  });
});
