// Injected hazards: each known bug, booted on purpose, is caught by the check the kernel would use.

import { INJECTED_HAZARDS } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { rejects } from './helpers/errors.js';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';
import { holdAt, turns } from './helpers/schedule.js';

/** The perf core's free path, innermost first, as a KASAN report's access chain prints it. */
const FREE_PATH = ['_free_event', 'put_event', 'perf_event_release_kernel', 'perf_release'];

describe('Injected hazards', () => {
  it('boots with the named hazards and refuses unknown names with EINVAL listing the known ones', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy', 'double-module-put'] });
    expect([...m.kernel.inject].sort()).to.deep.equal(['double-module-put', 'reprobe-in-destroy']);
    const plain = await Machine.boot({ platform: 'grace', installed: [] });
    expect(plain.kernel.inject.size).to.equal(0);
    const err = await rejects(Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy', 'use-after-free' as never] }));
    expect(err.code).to.equal('EINVAL');
    expect(err.message).to.contain("unknown injected hazard 'use-after-free'");
    for (const h of INJECTED_HAZARDS) expect(err.message).to.contain(h);
  });

  it('with KASAN off (Machine.boot({ kasan: false })) the same bug goes unreported, as without CONFIG_KASAN', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy'], kasan: false });
    expect(m.kernel.kasan.enabled).to.equal(false);
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    await m.perf.close(e!);
    await m.settle();
    expect(m.kernel.kasan.reports).to.deep.equal([]);
    expect((await rejects(Machine.boot({ platform: 'grace', installed: [], kasan: 'on' as never }))).code).to.equal('EINVAL');
  });

  it('reprobe-in-destroy: the reprobe frees the instance inside destroy and KASAN catches the core using it after', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy'] });
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    await m.perf.close(e!);
    await m.settle();
    const reports = m.kernel.kasan.reports;
    // _free_event reads pmu->capabilities (exclusive-event accounting), then pmu->module (module_put).
    expect(reports.map((r) => [r.kind, r.type, r.object, r.access])).to.deep.equal([
      ['slab-use-after-free', 'struct arm_cspmu', 'arm-cs-arch-pmu.0', 'pmu->capabilities'],
      ['slab-use-after-free', 'struct arm_cspmu', 'arm-cs-arch-pmu.0', 'pmu->module'],
    ]);
    expect(reports[0]!.accessChain).to.deep.equal(FREE_PATH);
    expect(reports[0]!.freeChain).to.deep.equal([
      'kfree',
      'devm_kfree',
      'devres_release_all',
      'device_remove',
      'device_release_driver_internal',
      'device_release_driver',
      'arm_cspmu_reprobe',
      'arm_cspmu_event_destroy',
      ...FREE_PATH,
    ]);
    expect(reports[0]!.allocChain.slice(0, 3)).to.deep.equal(['devm_kzalloc', 'arm_cspmu_alloc', 'arm_cspmu_device_probe']);
    const log = m.kernel.log.atLeast('err').map((r) => r.message);
    expect(log).to.include('BUG: KASAN: slab-use-after-free in _free_event');
    // The reprobe itself did its job: the device moved.
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')?.backend).to.equal('test_scf_cspmu');
  });

  it('reprobe-in-destroy: an event opened before that reprobe takes the device lock keeps the device bound; its own last destroy moves it', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy'] });
    const backendOf = () => m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')?.backend;
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await loadBuiltinBackend(m, scfBackend());
    const generic = backendOf();
    const hold = holdAt(m, 'mutex_lock device:arm-cs-arch-pmu.0');
    const closing = m.perf.close(e!);
    await turns();
    expect(hold.held, 'the reprobe from destroy waits for the device lock').to.equal(1);
    const [late] = m.open('arm_cspmu_cache_0/cycles/');
    hold.release();
    await closing;
    await m.settle();
    expect(backendOf(), 'not released under an open event').to.equal(generic);
    m.advance(1000);
    expect(m.perf.readCount(late!), 'the late event counts on the instance it opened on').to.be.greaterThan(0);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
    await m.perf.close(late!);
    await m.settle();
    expect(backendOf()).to.equal('test_scf_cspmu');
  });

  it('no-grace-period: the queued reprobe frees the instance while the core is still in its free path', async () => {
    for (const inject of [[], ['no-grace-period']] as const) {
      const m = await Machine.boot({ platform: 'grace', installed: [], inject: [...inject] });
      const [e] = m.open('arm_cspmu_cache_0/cycles/');
      await loadBuiltinBackend(m, scfBackend());
      const hold = holdAt(m, '_free_event');
      const closing = m.perf.close(e!);
      await turns();
      // Without the wait the reprobe has already released and re-probed the device under the parked free.
      const moved = m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')?.backend === 'test_scf_cspmu';
      expect(moved, `moved before the free finished (${inject.join() || 'no hazard'})`).to.equal(inject.length > 0);
      hold.release();
      await closing;
      await m.settle();
      const reports = m.kernel.kasan.reports;
      if (inject.length === 0) {
        expect(reports).to.deep.equal([]);
        continue;
      }
      expect(reports.map((r) => r.access)).to.deep.equal(['pmu->capabilities', 'pmu->module']);
      expect(reports[0]!.accessChain).to.deep.equal(FREE_PATH);
      expect(reports[0]!.freeChain.slice(0, 7)).to.deep.equal([
        'kfree',
        'devm_kfree',
        'devres_release_all',
        'device_remove',
        'device_release_driver_internal',
        'device_release_driver',
        'arm_cspmu_reprobe_work',
      ]);
    }
  });

  it('double-module-put: the second put takes the base as the kernel does, so the backend can no longer be got, a third put warns, and rmmod hits a BUG', async () => {
    for (const inject of [[], ['double-module-put']] as const) {
      const m = await Machine.boot({ platform: 'grace', inject: [...inject] });
      const mod = m.modules.get('nvidia_cspmu')!;
      const [e] = m.open('nvidia_scf_pmu_0/cycles/');
      expect(mod.refs).to.equal(1);
      await m.perf.close(e!);
      const warnings = () => m.kernel.log.atLeast('warn').map((r) => r.message);
      expect(warnings()).to.deep.equal([]);
      if (inject.length === 0) {
        expect(mod.refs).to.equal(0);
        continue;
      }
      // module_put decrements only a positive count and warns only at 0: the second put took the base, silently.
      expect(mod.refs).to.equal(-1);
      // No event of the backend's PMUs opens any more (try_module_get fails on 0), and nothing is logged for it.
      expect(() => m.open('nvidia_scf_pmu_0/cycles/'))
        .to.throw("PMU 'nvidia_scf_pmu_0': its module nvidia_cspmu has no reference left to take: a module_put too many dropped its base reference")
        .with.property('code', 'ENODEV');
      expect([mod.refs, warnings()]).to.deep.equal([-1, []]);
      // rmmod finds the count below the base: a BUG, logged, and the unload fails changing nothing.
      const err = await rejects(m.unload('nvidia_cspmu'));
      expect(err.code).to.equal('EIO');
      expect(warnings()).to.have.length(1);
      expect(warnings()[0]).to.match(/^kernel BUG at kernel\/module\/main.c: try_release_module_ref: module nvidia_cspmu's reference count is below its base/);
      expect([m.modules.get('nvidia_cspmu'), mod.state]).to.deep.equal([mod, 'live']);
      // A probe of a device the backend drives meets the same refusal and says why in the same words (EINVAL, as arm_cspmu's probe).
      const dev = m.bus.device(m.driver.bindings().find((b) => b.pmu === 'nvidia_scf_pmu_0')!.device)!;
      await m.bus.deviceReleaseDriver(dev);
      const failed = m.kernel.lifecycle.record();
      await m.bus.attachDevice(dev);
      expect(dev.bound).to.equal(false);
      expect(failed.records.filter((x) => x.name === 'device:probe-failed').map((x) => x.payload)).to.deep.equal([
        {
          device: dev.name,
          driver: 'arm-cs-arch-pmu',
          errno: 'EINVAL',
          message: `${dev.name}: its backend's module nvidia_cspmu has no reference left to take: a module_put too many dropped its base reference`,
        },
      ]);
    }
  });

  it('a probe that meets its backend module going away refuses in the words an open uses there (EINVAL, as arm_cspmu)', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const dev = m.bus.device(m.driver.bindings().find((b) => b.pmu === 'nvidia_scf_pmu_0')!.device)!;
    await m.bus.deviceReleaseDriver(dev);
    // The registry mutex is held while the probe queues for it, then the unload (its exit's unregister queues behind).
    const held = await m.driver.registry.mutex.lock('test');
    const failed = m.kernel.lifecycle.record();
    const attaching = m.bus.attachDevice(dev);
    await turns();
    const unloading = m.unload('nvidia_cspmu');
    await turns();
    expect(m.modules.get('nvidia_cspmu')!.state).to.equal('going');
    held.release();
    await attaching;
    await unloading;
    expect(failed.records.filter((x) => x.name === 'device:probe-failed').map((x) => x.payload)).to.deep.equal([
      { device: dev.name, driver: 'arm-cs-arch-pmu', errno: 'EINVAL', message: `${dev.name}: its backend's module nvidia_cspmu is going away` },
    ]);
    // Unbound after its failed probe, the device is attached when the generic backend its siblings requested registers.
    expect([m.modules.get('nvidia_cspmu'), m.driver.bindings().find((b) => b.device === dev.name)?.backend]).to.deep.equal([undefined, 'arm_cspmu_generic']);
  });

  it('double-module-put with two events: the first close leaves one reference, the second takes the base, and a put at 0 warns with the free path', async () => {
    const m = await Machine.boot({ platform: 'grace', inject: ['double-module-put'] });
    const mod = m.modules.get('nvidia_cspmu')!;
    const [a, b] = [...m.open('nvidia_scf_pmu_0/cycles/'), ...m.open('nvidia_scf_pmu_0/cycles/')];
    expect(mod.refs).to.equal(2);
    await m.perf.close(a!);
    expect(mod.refs).to.equal(0);
    await m.perf.close(b!);
    expect(mod.refs).to.equal(-1);
    expect(m.kernel.log.atLeast('warn').map((r) => r.message)).to.deep.equal([
      `WARNING: module_put of nvidia_cspmu: Failed to put refcount (it is 0: the module holds no reference and no base)\nCall Trace:\n module_put\n ${FREE_PATH.join('\n ')}`,
    ]);
  });

  it('KASAN reports every access through a released instance: pmu fields, perf callbacks, backend ops and sysfs attributes', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const inst = m.driver.instanceByName('arm_cspmu_cache_0')!;
    const cpumask = inst.attrGroups.flatMap((g) => g.attrs).find((a) => a.name === 'cpumask')!;
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await m.perf.close(e!);
    await m.bus.deviceReleaseDriver(m.bus.device('arm-cs-arch-pmu.0')!);
    // Stale pointers, used anyway.
    m.kernel.calls.run('stale_user', () => {
      void inst.capabilities;
      void inst.module;
      cpumask.show();
      inst.eventInit(e!);
    });
    expect(m.kernel.kasan.reports.map((r) => [r.type, r.access, r.accessChain[0]])).to.deep.equal([
      ['struct arm_cspmu', 'pmu->capabilities', 'stale_user'],
      ['struct arm_cspmu', 'pmu->module', 'stale_user'],
      ['struct arm_cspmu', 'arm_cspmu sysfs cpumask', 'stale_user'],
      ['struct arm_cspmu', 'arm_cspmu (event_init)', 'arm_cspmu_event_init'],
      ['struct arm_cspmu_impl_ops', 'impl.ops->eventType', 'arm_cspmu_event_init'],
    ]);
  });

  it('a pmu->read that throws leaves the call stack where its caller had it: the next report names only the caller', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const inst = m.driver.instanceByName('arm_cspmu_cache_0')!;
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    const idx = e!.hw.idx;
    await m.perf.close(e!);
    await m.bus.deviceReleaseDriver(m.bus.device('arm-cs-arch-pmu.0')!);
    // A stale pointer to the event as it was while it counted, read through the released instance: its counter read is
    // refused (the mapping is gone) while the driver's update and counter-read frames are pushed, with no try of their own.
    e!.hw.idx = idx;
    let err: { code?: string; message?: string } | undefined;
    let after: string[] = [];
    m.kernel.calls.run('stale_user', () => {
      try {
        inst.read(e!);
      } catch (x) {
        err = x as Error & { code: string };
      }
      after = m.kernel.calls.names();
      void inst.capabilities;
    });
    expect([err?.code, err?.message]).to.deep.equal([
      'EFAULT',
      'EFAULT: arm-cs-arch-pmu.0: 64-bit read at offset 0xf8 through mapping 1 after iounmap (use after release)',
    ]);
    expect(after).to.deep.equal(['stale_user']);
    expect(m.kernel.kasan.reports.map((r) => [r.type, r.access, r.accessChain])).to.deep.equal([
      ['struct arm_cspmu', 'arm_cspmu (read)', ['arm_cspmu_read', 'stale_user']],
      ['ioremap mapping', '64-bit read at offset 0xf8', ['arm_cspmu_read_counter', 'arm_cspmu_event_update', 'arm_cspmu_read', 'stale_user']],
      ['struct arm_cspmu', 'pmu->capabilities', ['stale_user']],
    ]);
  });
});
