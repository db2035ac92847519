// Lockdep by lock class: inversions between different locks of one class, reported with both chains.
import { expect } from 'chai';
import { Lockdep, Mutex } from '../src/index.js';
import { rejects } from './expect-error.js';

/** A lockdep whose backtrace is whatever the test says the task is running. */
function rig() {
  const dep = new Lockdep();
  let bt: string[] = [];
  dep.backtrace = () => bt;
  const inside = <T>(frames: string[], fn: () => Promise<T>) => {
    bt = frames;
    return fn();
  };
  return { dep, inside };
}

describe('Lockdep with lock classes', () => {
  it('puts every lock made with one key in one class, and a lock with no key in a class of its own', () => {
    const dep = new Lockdep();
    const a = new Mutex('device:a', dep, undefined, undefined, '&dev->mutex');
    const b = new Mutex('device:b', dep, undefined, undefined, '&dev->mutex');
    const r = new Mutex('arm_cspmu_lock', dep);
    expect(a.lockClass).to.equal(b.lockClass);
    expect(a.lockClass.name).to.equal('&dev->mutex');
    expect(r.lockClass).to.not.equal(a.lockClass);
    expect(r.lockClass.name).to.equal('arm_cspmu_lock');
  });

  it('reports an inversion between the registry and a different device of the same class, with both chains', async () => {
    const { dep, inside } = rig();
    const devA = new Mutex('device:a', dep, undefined, undefined, '&dev->mutex');
    const devB = new Mutex('device:b', dep, undefined, undefined, '&dev->mutex');
    const registry = new Mutex('arm_cspmu_lock', dep);
    // Probe of device a: device lock, then the registry.
    await inside(['driver_attach'], () =>
      devA.runExclusive(
        () => inside(['driver_attach', 'really_probe'], () => registry.runExclusive(() => undefined, 'arm_cspmu_init_impl_ops')),
        'driver_attach',
      ),
    );
    // Unregister holding the registry while it releases device b: the other order, on another device.
    const err = await rejects(
      inside(['arm_cspmu_impl_unregister'], () =>
        registry.runExclusive(
          () => inside(['arm_cspmu_impl_unregister'], () => devB.runExclusive(() => undefined, 'device_release_driver')),
          'arm_cspmu_impl_unregister',
        ),
      ),
    );
    expect(err.code).to.equal('EDEADLK');
    expect(dep.reports).to.have.length(1);
    const r = dep.reports[0]!;
    expect(r).to.deep.include({
      kind: 'circular',
      task: 'device_release_driver',
      acquiring: '&dev->mutex',
      acquiringLock: 'device:b',
      holding: 'arm_cspmu_lock',
      holdingLock: 'arm_cspmu_lock',
    });
    expect(r.earlierPath).to.deep.equal(['&dev->mutex', 'arm_cspmu_lock']);
    // The earlier chain: the probe that took the registry under a device lock, where it did.
    expect(r.dependencies).to.deep.equal([
      {
        from: '&dev->mutex',
        to: 'arm_cspmu_lock',
        task: 'arm_cspmu_init_impl_ops',
        held: ['&dev->mutex'],
        backtrace: ['driver_attach', 'really_probe', 'arm_cspmu_init_impl_ops'],
      },
    ]);
    // This chain: what the task holds and where it takes the new lock.
    expect(r.held).to.deep.equal(['arm_cspmu_lock']);
    expect(r.backtrace).to.deep.equal(['arm_cspmu_impl_unregister', 'device_release_driver']);
    expect(r.text).to.contain('WARNING: possible circular locking dependency detected');
    expect(r.text).to.contain('(&dev->mutex){device:b}, at: device_release_driver <- arm_cspmu_impl_unregister');
    expect(r.text).to.contain(
      '(arm_cspmu_lock) taken holding (&dev->mutex) by arm_cspmu_init_impl_ops, at: arm_cspmu_init_impl_ops <- really_probe <- driver_attach',
    );
    expect(r.text).to.contain('(arm_cspmu_lock){arm_cspmu_lock}, at: arm_cspmu_impl_unregister');
    expect(devB.locked).to.equal(false);
    expect(registry.locked).to.equal(false);
  });

  it('reports an A -> B / B -> A inversion between two devices as recursive locking of their one class', async () => {
    const { dep, inside } = rig();
    const devA = new Mutex('device:a', dep, undefined, undefined, '&dev->mutex');
    const devB = new Mutex('device:b', dep, undefined, undefined, '&dev->mutex');
    const err = await rejects(
      inside(['attach_parent'], () =>
        devA.runExclusive(() => inside(['attach_parent'], () => devB.runExclusive(() => undefined, 'attach_child')), 'attach_parent'),
      ),
    );
    expect(err.code).to.equal('EDEADLK');
    expect(err.message).to.contain("possible recursive locking: taking 'device:b' while holding 'device:a' of the same class '&dev->mutex'");
    expect(dep.reports[0]).to.deep.include({
      kind: 'recursive',
      acquiringLock: 'device:b',
      holdingLock: 'device:a',
      held: ['&dev->mutex'],
      backtrace: ['attach_parent', 'attach_child'],
    });
    expect(dep.reports[0]!.text).to.contain('(&dev->mutex){device:a}, at: attach_parent');
  });

  it('accepts the same order from every device of a class, one device at a time', async () => {
    const { dep } = rig();
    const devA = new Mutex('device:a', dep, undefined, undefined, '&dev->mutex');
    const devB = new Mutex('device:b', dep, undefined, undefined, '&dev->mutex');
    const registry = new Mutex('arm_cspmu_lock', dep);
    await devA.runExclusive(() => registry.runExclusive(() => undefined));
    await devB.runExclusive(() => registry.runExclusive(() => undefined));
    expect(dep.reports).to.deep.equal([]);
  });

  it('checks nothing while switched off', async () => {
    const { dep } = rig();
    dep.enabled = false;
    const devA = new Mutex('device:a', dep, undefined, undefined, '&dev->mutex');
    const registry = new Mutex('arm_cspmu_lock', dep);
    await devA.runExclusive(() => registry.runExclusive(() => undefined));
    await registry.runExclusive(() => devA.runExclusive(() => undefined));
    expect(dep.reports).to.deep.equal([]);
  });
});
