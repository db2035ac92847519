// Tests that register layouts are compiled once per kind of device for the whole process, in a bounded cache, and that sharing them shares no state.
import { createKernel, type ManualClock } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { expect } from 'chai';
import { builtinPlatform, CspmuLayouts, CspmuModel, Hardware, loadPlatform, PMCR, REG, SHARED_LAYOUTS, Workload } from '../src/index.js';
import { modelConfig } from './helpers.js';

const workload = () => new Workload({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 0x11, rate: 1e9 }] }] });

function machineHardware() {
  const { kernel } = createKernel();
  const mmio = new MmioBus(kernel);
  const hw = new Hardware(loadPlatform(builtinPlatform('grace')), workload(), { clock: kernel.clock, irqs: kernel.irqs, map: mmio.map });
  return { kernel, mmio, hw };
}

describe('CoreSight PMU model: register layouts shared by every machine of the process', () => {
  it('two machines of one platform use the same compiled layouts, and each keeps its own registers', () => {
    const a = machineHardware();
    const b = machineHardware();
    const [label, devA] = [...a.hw.devices][0]!;
    const devB = b.hw.devices.get(label)!;
    expect(devA.page0.readShadow.bits).to.equal(devB.page0.readShadow.bits);
    expect(devA.page0.state).to.not.equal(devB.page0.state);
    const base = loadPlatform(builtinPlatform('grace')).pmus.find((p) => p.label === label)!.base0;
    const ioA = a.mmio.ioremap(base, 0x1000, 'a');
    const ioB = b.mmio.ioremap(base, 0x1000, 'b');
    ioA.writel(0x1, REG.PMCNTENSET);
    ioA.writel(PMCR.E, REG.PMCR);
    (a.kernel.clock as ManualClock).advance(100);
    expect(ioA.readl(REG.PMCR) & PMCR.E).to.equal(PMCR.E);
    expect(ioB.readl(REG.PMCR)).to.equal(0);
    expect(ioB.readl(REG.PMCNTENSET)).to.equal(0);
    expect(SHARED_LAYOUTS.size).to.be.within(1, 64);
  });

  it('a bounded cache drops the kind used least recently, and keeps a kind used again', () => {
    const { kernel } = createKernel();
    const layouts = new CspmuLayouts(2);
    const clock = kernel.clock;
    const w = workload();
    const kind = (counters: number, label: string) => new CspmuModel(modelConfig({ label, counters }), { clock, workload: w, layouts });
    const first = kind(2, 'a');
    kind(3, 'b');
    // Kind 2 used again: kind 3 is now the least recent, and a third kind drops it.
    expect(kind(2, 'c').page0.readShadow.bits).to.equal(first.page0.readShadow.bits);
    kind(4, 'd');
    expect(layouts.size).to.equal(2);
    expect(kind(2, 'e').page0.readShadow.bits).to.equal(first.page0.readShadow.bits);
    expect(layouts.size).to.equal(2);
    // Kind 3 was dropped: compiled again, a new layout, and kind 4 is dropped in turn.
    const again = kind(3, 'f');
    expect(layouts.size).to.equal(2);
    expect(kind(2, 'g').page0.readShadow.bits).to.equal(first.page0.readShadow.bits);
    expect(again.page0.readShadow.bits).to.not.equal(kind(4, 'h').page0.readShadow.bits);
  });
});
