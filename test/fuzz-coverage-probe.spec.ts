// The fuzz coverage probe keeps the registered PMUs between steps: a PMU registered since must still count its rotations.
import { Machine } from '@cspmu/system';
import { CoverageProbe, FUZZ_BACKEND, fuzzBackendModule, fuzzPlatform } from '@cspmu/testkit';
import { expect } from 'chai';

describe('Fuzz coverage probe', () => {
  it('counts a rotation on a PMU registered after it first listed the PMUs', async () => {
    const m = await Machine.boot({ platform: fuzzPlatform(0), installed: ['@cspmu/arm-generic'], traceCapacity: 1 });
    const probe = new CoverageProbe(m);
    const pmuOf = (device: string) => m.driver.bindings().find((b) => b.device === device)!.pmu;
    const generic = pmuOf('arm-cs-arch-pmu.0');
    // The probe lists the PMUs while device 0 is on the generic backend: one event, no multiplexing.
    const [one] = m.open(`${generic}/event=0x1/`);
    probe.sample([one!]);
    expect(probe.reached.rotated).to.equal(false);
    await m.perf.close(one!);
    // The fuzz backend takes device 0 over: a new PMU is registered for it.
    await m.modules.registerBuiltin(fuzzBackendModule);
    await m.settle();
    const swapped = pmuOf('arm-cs-arch-pmu.0');
    expect(m.driver.bindings().find((b) => b.pmu === swapped)!.backend).to.equal(FUZZ_BACKEND);
    // More events than its counters: they take turns.
    const events = [];
    for (let i = 0; i < 7; i++) events.push(...m.open(`${swapped}/event=0x1/`));
    m.advance(50_000_000);
    expect(m.perf.context(events[0]!.pmu, events[0]!.cpu).rotations).to.be.above(0);
    probe.sample(events);
    expect(probe.reached.rotated).to.equal(true);
    m.release();
  });

  it('forgets a PMU unregistered since it listed them (whose context is gone)', async () => {
    const m = await Machine.boot({ platform: fuzzPlatform(0), installed: ['@cspmu/arm-generic'], traceCapacity: 1 });
    const probe = new CoverageProbe(m);
    const dev = m.bus.device('arm-cs-arch-pmu.2')!;
    const pmu = m.driver.bindings().find((b) => b.device === dev.name)!.pmu;
    const [e] = m.open(`${pmu}/event=0x1/`);
    probe.sample([e!]);
    await m.perf.close(e!);
    await m.bus.removeDevice(dev);
    await m.settle();
    expect(m.perf.pmuByName(pmu)).to.equal(undefined);
    // Asking the core for the context of a PMU no longer registered would be ENOENT.
    expect(() => probe.sample([e!])).to.not.throw();
    expect(probe.reached.rotated).to.equal(false);
    m.release();
  });
});
