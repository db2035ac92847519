// Tests of the backend registry and hot swap: moving idle and busy devices, unload refusals, and the register and unregister policies.
import type { KernelError } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { fuzzBackendModule, fuzzPlatform, SeededScheduler } from '@cspmu/testkit';
import { expect } from 'chai';
import { rejects } from './helpers/errors.js';
import { loadBuiltinBackend, MS, scfBackend } from './helpers/machine.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('arm-cspmu backend registry and hot swap', function () {
  this.timeout(60000);

  it('moves idle devices at once and busy ones only after their last event, counting exactly throughout', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: ['@cspmu/arm-generic'] });
    const [busy] = m.open('arm_cspmu_cache_0/event=0x1a5/');
    const t0 = m.clock.now();
    m.advance(3 * MS);
    const rec = m.kernel.lifecycle.record();
    const mod = await loadBuiltinBackend(m, scfBackend());
    expect(m.perf.pmuByName('test_scf_pmu_1')).to.not.equal(undefined);
    expect(m.perf.pmuByName('arm_cspmu_cache_1')).to.equal(undefined);
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')).to.include({
      pmu: 'arm_cspmu_cache_0',
      backend: 'arm_cspmu_generic',
      events: 1,
      reprobePending: true,
    });
    m.advance(4 * MS + 17);
    const t1 = m.clock.now();
    expect(m.perf.read(busy!).value).to.equal(m.hardware.workload.expected({ label: 'scf0', event: 0x1a5, filter: 0, filter2: 0 }, t0, t1));
    await m.perf.close(busy!);
    await m.settle();
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')).to.include({ pmu: 'test_scf_pmu_0', backend: 'test_scf_cspmu', events: 0 });
    const names = rec.records.map((r) => `${r.name} ${JSON.stringify(r.payload)}`);
    const freed = names.findIndex((n) => n.startsWith('event:freed'));
    const moved = names.findIndex((n) => n.startsWith('cspmu:reprobe ') && n.includes('arm-cs-arch-pmu.0'));
    expect(names.some((n) => n.startsWith('cspmu:reprobe-pending') && n.includes('arm-cs-arch-pmu.0'))).to.equal(true);
    expect(freed).to.be.greaterThan(-1);
    expect(moved).to.be.greaterThan(freed);
    expect(m.mmio.violations).to.deep.equal([]);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
    expect(mod.refs).to.equal(0);
    // The moved PMU counts from zero on the new backend.
    const [fresh] = m.open('test_scf_pmu_0/event=0x1a5/');
    const t2 = m.clock.now();
    m.advance(1000);
    expect(m.perf.read(fresh!).value).to.equal(m.hardware.workload.expected({ label: 'scf0', event: 0x1a5, filter: 0, filter2: 0 }, t2, t2 + 1000));
  });

  it('refuses to unload a backend with live events (EWOULDBLOCK, as delete_module), then falls its devices back after they close', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: ['@cspmu/arm-generic'] });
    const mod = await loadBuiltinBackend(m, scfBackend());
    const [e] = m.open('test_scf_pmu_1/cycles/');
    expect(mod.refs).to.equal(1);
    const err = await rejects(m.unload('test_scf_cspmu'));
    expect(err.code).to.equal('EWOULDBLOCK');
    expect(m.perf.pmuByName('test_scf_pmu_1')).to.not.equal(undefined);
    await m.perf.close(e!);
    await m.unload('test_scf_cspmu');
    const scf = m.driver.bindings().filter((b) => b.device === 'arm-cs-arch-pmu.0' || b.device === 'arm-cs-arch-pmu.16');
    expect(scf.map((b) => b.backend)).to.deep.equal(['arm_cspmu_generic', 'arm_cspmu_generic']);
    // Linux 7.3 names generic PMUs from the APMT node, so they come back under the same names.
    expect(scf.map((b) => b.pmu).sort()).to.deep.equal(['arm_cspmu_cache_0', 'arm_cspmu_cache_1']);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('leaves the devices unbound and not deferred under the stay-unbound policy', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], unregisterPolicy: 'stay-unbound' });
    await loadBuiltinBackend(m, scfBackend());
    await m.unload('test_scf_cspmu');
    const dev = m.bus.device('arm-cs-arch-pmu.0')!;
    expect(dev.bound).to.equal(false);
    expect(m.bus.isDeferred(dev)).to.equal(false);
    expect(m.perf.pmuByName('test_scf_pmu_0')).to.equal(undefined);
  });

  it('refuses a registration with EBUSY under the reject-busy policy while matching devices have events', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], registerPolicy: 'reject-busy' });
    const [e] = m.open('arm_cspmu_cache_1/cycles/');
    const err = await rejects(loadBuiltinBackend(m, scfBackend()));
    expect(err.code).to.equal('EBUSY');
    expect(err.message).to.contain('arm_cspmu reg failed, device(s) is in use: arm_cspmu_cache_1 (1 event(s))');
    expect(m.driver.registry.all()).to.have.length(0);
    expect(m.modules.get('test_scf_cspmu')).to.equal(undefined);
    expect(m.perf.pmuByName('arm_cspmu_cache_0')).to.not.equal(undefined);
    await m.perf.close(e!);
    await loadBuiltinBackend(m, scfBackend());
    expect(m.perf.pmuByName('test_scf_pmu_0')).to.not.equal(undefined);
    expect(m.perf.pmuByName('test_scf_pmu_1')).to.not.equal(undefined);
  });

  it('ends two racing registrations of one backend with exactly one binding per device, whichever queues first wins', async () => {
    for (const aFirst of [true, false]) {
      const m = await Machine.boot({ platform: 'grace', installed: [] });
      const guard = await m.driver.registry.mutex.lock('test holds arm_cspmu_lock');
      const [winner, loser] = aFirst ? (['a', 'b'] as const) : (['b', 'a'] as const);
      // Queue the winner on arm_cspmu_lock first, then the loser: the mutex is FIFO, so this fixes the order.
      const first = loadBuiltinBackend(m, scfBackend(`${winner}_cspmu`), `mod_${winner}`);
      while (m.driver.registry.mutex.waiting < 1) await tick();
      const second = loadBuiltinBackend(m, scfBackend(`${loser}_cspmu`), `mod_${loser}`);
      while (m.driver.registry.mutex.waiting < 2) await tick();
      guard.release();
      const [rw, rl] = await Promise.allSettled([first, second]);
      expect(rw.status, `${winner} registers`).to.equal('fulfilled');
      expect(rl.status, `${loser} is refused`).to.equal('rejected');
      // As upstream's arm_cspmu_impl_register: a second backend for a registered match is -EINVAL, with a warning.
      expect(((rl as PromiseRejectedResult).reason as KernelError).code).to.equal('EINVAL');
      expect(((rl as PromiseRejectedResult).reason as KernelError).message).to.contain(`already served by ${winner}_cspmu from module mod_${winner}`);
      expect(m.kernel.log.atLeast('warn').map((r) => r.message)).to.include(
        `WARNING: arm_cspmu backend already registered for module: mod_${winner}, pmiidr: 0x2cf0036b, mask: 0xfff00fff`,
      );
      await m.settle();
      const scf = m.driver.bindings().filter((x) => x.pmu.startsWith('test_scf_pmu'));
      expect(scf.map((x) => [x.device, x.backend]).sort()).to.deep.equal([
        ['arm-cs-arch-pmu.0', `${winner}_cspmu`],
        ['arm-cs-arch-pmu.16', `${winner}_cspmu`],
      ]);
      expect(m.perf.pmus().filter((p) => p.name.startsWith('test_scf') || p.name.startsWith('arm_cspmu_cache'))).to.have.length(2);
      expect(m.modules.get(`mod_${loser}`)).to.equal(undefined);
      expect(m.modules.get(`mod_${winner}`)?.state).to.equal('live');
    }
  });

  it('unloading a backend releases only the devices it still drives when a hot swap races it', async () => {
    // Seeds under which the fuzz backend takes device 0 (and an event opens on it) while arm_generic_cspmu's
    // unregister is between computing its device list and releasing device 0: found by the fuzzer.
    for (const seed of [56, 70, 81]) {
      const m = await Machine.boot({ platform: fuzzPlatform(0), installed: ['@cspmu/arm-generic'] });
      const s = new SeededScheduler(seed);
      m.kernel.yieldPoint = () => s.schedule();
      let settled = false;
      const both = Promise.all([m.modules.unload('arm_generic_cspmu'), m.modules.registerBuiltin(fuzzBackendModule)]).finally(() => (settled = true));
      let event: ReturnType<typeof m.open>[number] | undefined;
      while (!settled) {
        if (!event && m.perf.pmuByName('fuzz_scf_0')) [event] = m.open('fuzz_scf_0/event=0x1/');
        if (s.count() > 0) await s.releaseOne();
        else await tick();
      }
      m.kernel.yieldPoint = undefined;
      await both;
      expect(
        m.kernel.log.atLeast('err').map((r) => r.message),
        `seed ${seed}`,
      ).to.deep.equal([]);
      expect(event, `seed ${seed}: the event opened during the race`).to.not.equal(undefined);
      expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')).to.include({ pmu: 'fuzz_scf_0', backend: 'fuzz_scf_cspmu', events: 1 });
      m.perf.close(event!);
    }
  });

  it('ends a registration racing a probe with exactly one binding, in either order', async () => {
    for (const probeFirst of [true, false]) {
      const m = await Machine.boot({ platform: 'grace', installed: [] });
      const dev = m.bus.device('arm-cs-arch-pmu.0')!;
      await m.bus.deviceReleaseDriver(dev);
      const rec = m.kernel.lifecycle.record();
      const guard = await m.driver.registry.mutex.lock('test holds arm_cspmu_lock');
      const first = probeFirst ? m.bus.attachDevice(dev) : loadBuiltinBackend(m, scfBackend());
      await tick();
      const second = probeFirst ? loadBuiltinBackend(m, scfBackend()) : m.bus.attachDevice(dev);
      await tick();
      // Both wait for the lock, in the order they were started.
      expect(m.driver.registry.mutex.waiting).to.equal(2);
      guard.release();
      await Promise.all([first, second]);
      await m.settle();
      const bound = m.driver.bindings().filter((x) => x.device === 'arm-cs-arch-pmu.0');
      expect(bound).to.have.length(1);
      expect(bound[0]).to.include({ pmu: 'test_scf_pmu_0', backend: 'test_scf_cspmu' });
      const registered = m.perf
        .pmus()
        .map((p) => p.name)
        .filter((n) => n === 'test_scf_pmu_0' || n.startsWith('arm_cspmu_cache_'));
      expect(registered.filter((n) => n === 'test_scf_pmu_0')).to.have.length(1);
      expect(registered.filter((n) => n.startsWith('arm_cspmu_cache_'))).to.have.length(0);
      const boundEvents = rec.records.filter((r) => r.name === 'device:bound' && (r.payload as { device: string }).device === 'arm-cs-arch-pmu.0');
      // Probe first: generic, then moved to the backend. Registration first: straight to the backend.
      expect(boundEvents).to.have.length(probeFirst ? 2 : 1);
    }
  });

  it('falls back to the generic driver when a requested backend module fails to load', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: ['@cspmu/arm-generic'] });
    // Unloaded by hand: it is not requested again automatically.
    await m.unload('arm_generic_cspmu');
    expect(m.driver.bindings().every((b) => b.backend === 'arm_cspmu_generic' && b.module === undefined)).to.equal(true);
    expect(m.modules.get('arm_generic_cspmu')).to.equal(undefined);
    // Loaded by hand again: it takes the devices back.
    await m.load('@cspmu/arm-generic');
    expect(m.driver.bindings().every((b) => b.backend === 'arm_cspmu_generic' && b.module === 'arm_generic_cspmu')).to.equal(true);
  });

  it('refuses to unbind a device with open events, keeping it whole', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    const dev = m.bus.device('arm-cs-arch-pmu.0')!;
    const err = await rejects(m.bus.deviceReleaseDriver(dev));
    expect(err.code).to.equal('EBUSY');
    expect(err.message).to.contain('arm_cspmu_cache_0 has 1 open event(s)');
    expect(dev.bound).to.equal(true);
    m.advance(1000);
    expect(m.perf.read(e!).value).to.equal(1500);
    expect(m.mmio.violations).to.deep.equal([]);
    await m.perf.close(e!);
    await m.bus.deviceReleaseDriver(dev);
    expect(dev.bound).to.equal(false);
  });

  it('refuses bad backend definitions with EINVAL and registers nothing', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    for (const [def, msg] of [
      [{ name: 'Bad Name', match: { implementer: 0x36b }, init: () => ({}) }, 'must be a module-style name'],
      [{ name: 'x_cspmu', match: { implementer: 0x1ab }, init: () => ({}) }, 'not a JEP106 code'],
      [{ name: 'x_cspmu', match: { implementer: 0x36b, product: 0x1000 }, init: () => ({}) }, 'match.product'],
      [{ name: 'x_cspmu', match: { implementer: 0x36b } }, 'init must be a function'],
    ] as const) {
      const err = await rejects(m.driver.registerBackend(def as never, undefined));
      expect(err.code).to.equal('EINVAL');
      expect(err.message).to.contain(msg);
    }
    expect(m.driver.registry.all()).to.have.length(0);
  });
});
