// The lock-inversion hazard: unregister releasing devices under arm_cspmu_lock, caught by lockdep with both chains.

import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { loadBuiltinBackend, scfBackend } from './helpers/machine.js';

describe('Lockdep on the arm_cspmu lifecycle', function () {
  this.timeout(60000);

  it('reports the injected lock-inversion (registry lock, then a device lock) with the probe chain that took them the other way', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['lock-inversion'] });
    await loadBuiltinBackend(m, scfBackend());
    // As in the kernel, a module's exit cannot fail: the cleanup's error is logged and the module goes.
    await m.unload('test_scf_cspmu');
    const logged = m.kernel.log.atLeast('err').map((l) => l.message);
    expect(
      logged.filter((l) => l.includes("possible deadlock: taking '&dev->mutex' while holding 'arm_cspmu_lock'")),
      logged.join(' | '),
    ).to.have.length(1);
    const [r, ...more] = m.kernel.lockdep.reports;
    expect(more).to.deep.equal([]);
    expect(r).to.deep.include({ kind: 'circular', acquiring: '&dev->mutex', holding: 'arm_cspmu_lock', earlierPath: ['&dev->mutex', 'arm_cspmu_lock'] });
    expect(r!.acquiringLock).to.match(/^device:arm-cs-arch-pmu\.\d+$/);
    // This chain: unregister holds the registry lock and takes a device lock to release it.
    expect(r!.held).to.deep.equal(['arm_cspmu_lock']);
    expect(r!.backtrace[0]).to.equal('arm_cspmu_impl_unregister');
    expect(r!.backtrace.at(-1)).to.equal('device_release_driver');
    // The earlier chain: a probe took the registry lock under a device lock.
    expect(r!.dependencies).to.have.length(1);
    expect(r!.dependencies[0]).to.deep.include({ from: '&dev->mutex', to: 'arm_cspmu_lock', held: ['&dev->mutex'] });
    expect(r!.dependencies[0]!.backtrace.at(-1)).to.equal('arm_cspmu_init_impl_ops');
    expect(r!.text).to.contain('WARNING: possible circular locking dependency detected');
    expect(r!.text).to.contain('(arm_cspmu_lock){arm_cspmu_lock}, at: arm_cspmu_impl_unregister');
  });

  it('puts every device lock in one lock class, apart from the registry lock', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const [a, b] = [m.bus.device('arm-cs-arch-pmu.0')!, m.bus.device('arm-cs-arch-pmu.16')!];
    expect(a.lock).to.not.equal(b.lock);
    expect(a.lock.lockClass).to.equal(b.lock.lockClass);
    expect(a.lock.lockClass.name).to.equal('&dev->mutex');
    expect(m.driver.registry.mutex.lockClass).to.not.equal(a.lock.lockClass);
  });

  it('sees no inversion on the same path without the hazard: unregister takes device locks after the registry lock is released', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    await loadBuiltinBackend(m, scfBackend());
    await m.unload('test_scf_cspmu');
    expect(m.kernel.lockdep.reports).to.deep.equal([]);
    expect(m.perf.pmuByName('test_scf_pmu_0')).to.equal(undefined);
  });
});
