// Tests that a counter's rate function is evaluated only when a count needs it: never for a counter started and stopped at one instant, and with exact counts otherwise.
import { createKernel, IRQ_HANDLED, type ManualClock } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { expect } from 'chai';
import { CspmuModel, PMCR, REG, Workload } from '../src/index.js';
import { BASE0, modelConfig } from './helpers.js';

/** A 64-bit-counter device over a 1 GHz workload of event 0x11, its rate functions' evaluations counted. */
function counted() {
  const { kernel } = createKernel();
  const clock = kernel.clock as ManualClock;
  const bus = new MmioBus(kernel);
  const wl = new Workload({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });
  const evaluations = { count: 0 };
  const resolve = wl.resolve.bind(wl);
  wl.resolve = (sel) => {
    const f = resolve(sel);
    const at = f.at.bind(f);
    f.at = (t: number) => {
      evaluations.count++;
      return at(t);
    };
    return f;
  };
  const dev = new CspmuModel(modelConfig({ counterBits: 64, atomic64: true }), { clock, workload: wl });
  dev.attach(bus.map, 'pmu0', BASE0);
  const io = bus.ioremap(BASE0, 0x1000, 'pmu0');
  io.writel(0x11, REG.PMEVTYPER);
  io.writel(1, REG.PMCNTENSET);
  return { io, clock, evaluations, dev };
}

describe('CoreSight PMU model: a count function evaluated only when a count needs it', () => {
  it('a counter preloaded past 2^53 events from its top, started and stopped at one instant (a perf open and close), never evaluates it', () => {
    const { io, clock, evaluations } = counted();
    clock.advance(1000);
    for (let i = 0; i < 3; i++) {
      io.writeqParts(0xffffffff, 0x7fffffff, REG.PMEVCNTR);
      io.writel(PMCR.E, REG.PMCR);
      io.writel(0, REG.PMCR);
    }
    expect(evaluations.count).to.equal(0);
    const out = new Uint32Array(2);
    io.readqInto(REG.PMEVCNTR, out);
    expect([...out]).to.deep.equal([0xffffffff, 0x7fffffff]);
  });

  it('a counter that counts evaluates it at its origin once, when first needed, and counts exactly from there', () => {
    const { io, clock, evaluations } = counted();
    clock.advance(1000);
    io.writeqParts(0, 0, REG.PMEVCNTR);
    io.writel(PMCR.E, REG.PMCR);
    expect(evaluations.count).to.equal(0);
    clock.advance(250);
    const out = new Uint32Array(2);
    io.readqInto(REG.PMEVCNTR, out);
    // The origin (t = 1000) and now (t = 1250).
    expect([[...out], evaluations.count]).to.deep.equal([[250, 0], 2]);
    clock.advance(250);
    io.readqInto(REG.PMEVCNTR, out);
    expect([[...out], evaluations.count]).to.deep.equal([[500, 0], 3]);
    io.writel(0, REG.PMCR);
    clock.advance(1000);
    io.readqInto(REG.PMEVCNTR, out);
    expect([[...out], evaluations.count]).to.deep.equal([[500, 0], 4]);
    // Started again at 2500 and preloaded at 3000 while it counts: each preload is a new origin, evaluated when next needed.
    io.writel(PMCR.E, REG.PMCR);
    clock.advance(500);
    io.writeqParts(100, 0, REG.PMEVCNTR);
    clock.advance(300);
    io.readqInto(REG.PMEVCNTR, out);
    expect([...out]).to.deep.equal([400, 0]);
  });

  it('a 32-bit counter that must time its overflow has its origin evaluated then, and overflows on time', () => {
    const { kernel } = createKernel();
    const clock = kernel.clock as ManualClock;
    const bus = new MmioBus(kernel);
    const irq = kernel.irqs.registerLine(100, 'level');
    const wl = new Workload({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });
    const dev = new CspmuModel(modelConfig(), { clock, workload: wl, irqs: kernel.irqs, irq });
    dev.attach(bus.map, 'pmu0', BASE0);
    const io = bus.ioremap(BASE0, 0x1000, 'pmu0');
    const seen: number[] = [];
    kernel.irqs.request(
      irq,
      () => {
        seen.push(clock.now());
        io.writel(1, REG.PMOVSCLR);
        return IRQ_HANDLED;
      },
      'test',
    );
    clock.advance(1000);
    io.writel(0x11, REG.PMEVTYPER);
    io.writel(1, REG.PMINTENSET);
    io.writel(1, REG.PMCNTENSET);
    io.writel(0xffffff00, REG.PMEVCNTR);
    io.writel(PMCR.E, REG.PMCR);
    clock.advance(1000);
    expect(seen).to.deep.equal([1256]);
    expect(dev.overflows).to.equal(1);
  });
});
