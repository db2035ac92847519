// Tests of the driver core: binding, managed-resource release, failed and deferred probes, driverAttach.
import { expect } from 'chai';
import { createKernel, type Device, type Driver, KernelError, type PlatformBus, TOKENS } from '../src/index.js';

function setup() {
  const { kernel, container } = createKernel();
  const bus = container.get<PlatformBus>(TOKENS.PlatformBus);
  return { kernel, bus };
}

describe('Driver core', () => {
  it('binds a matching device and releases every managed resource in reverse on unbind', async () => {
    const { kernel, bus } = setup();
    const released: string[] = [];
    const drv: Driver = {
      name: 'demo',
      async probe(dev) {
        dev.devres.add('ioremap page 0', () => void released.push('page0'));
        dev.devres.add('irq 40', () => void released.push('irq'));
        dev.devres.add('sysfs', () => void released.push('sysfs'));
        dev.drvdata = { ok: true };
      },
      remove: () => void released.push('remove'),
    };
    const rec = kernel.lifecycle.record();
    await bus.registerDriver(drv);
    const dev = await bus.addDevice('demo', 3, [{ type: 'mem', start: 0x1000, end: 0x1fff }]);
    expect(dev.name).to.equal('demo.3');
    expect(dev.driver).to.equal(drv);
    await bus.deviceReleaseDriver(dev);
    expect(released).to.deep.equal(['remove', 'sysfs', 'irq', 'page0']);
    expect(dev.bound).to.equal(false);
    expect(dev.drvdata).to.equal(undefined);
    expect(bus.isDeferred(dev)).to.equal(false);
    expect(rec.records.map((r) => r.name)).to.deep.equal(['driver:registered', 'device:added', 'device:bound', 'device:unbound']);
  });

  it('releases what a failed probe acquired and logs the error', async () => {
    const { kernel, bus } = setup();
    const released: string[] = [];
    await bus.registerDriver({
      name: 'bad',
      async probe(dev) {
        dev.devres.add('a', () => void released.push('a'));
        dev.devres.add('b', () => void released.push('b'));
        throw new KernelError('ENOMEM', 'no memory for counters');
      },
    });
    const dev = await bus.addDevice('bad', 0, []);
    expect(released).to.deep.equal(['b', 'a']);
    expect(dev.bound).to.equal(false);
    expect(kernel.log.atLeast('err').map((r) => r.message)).to.deep.equal(['bad.0: probe with driver bad failed with error -12']);
  });

  it('retries a deferred device after another device binds', async () => {
    const { bus } = setup();
    let supplierReady = false;
    const attempts: string[] = [];
    await bus.registerDriver({
      name: 'consumer',
      async probe(dev) {
        attempts.push(dev.name);
        if (!supplierReady) throw new KernelError('EPROBE_DEFER', 'waiting for the supplier');
      },
    });
    await bus.registerDriver({
      name: 'supplier',
      async probe() {
        supplierReady = true;
      },
    });
    const consumer = await bus.addDevice('consumer', 0, []);
    expect(consumer.bound).to.equal(false);
    expect(bus.deferredDevices()).to.deep.equal([{ device: 'consumer.0', reason: 'waiting for the supplier' }]);
    await bus.addDevice('supplier', 0, []);
    await bus.settle();
    expect(consumer.bound).to.equal(true);
    expect(attempts).to.deep.equal(['consumer.0', 'consumer.0']);
    expect(bus.deferredDevices()).to.deep.equal([]);
  });

  it('takes a device off the deferred list when it is removed or bound by hand, so no retry pass probes it again', async () => {
    const { bus } = setup();
    let ready = false;
    const attempts: string[] = [];
    await bus.registerDriver({
      name: 'late',
      async probe(dev) {
        attempts.push(dev.name);
        if (!ready) throw new KernelError('EPROBE_DEFER', 'not yet');
      },
    });
    const gone = await bus.addDevice('late', 0, []);
    const kept = await bus.addDevice('late', 1, []);
    expect(bus.deferredDevices().map((d) => d.device)).to.deep.equal(['late.0', 'late.1']);
    await bus.removeDevice(gone);
    expect(bus.isDeferred(gone)).to.equal(false);
    ready = true;
    expect(await bus.attachDevice(kept)).to.equal(true);
    expect(bus.deferredDevices()).to.deep.equal([]);
    // A trigger now has nothing to retry: neither the removed device nor the bound one is probed again.
    await bus.registerDriver({ name: 'other', async probe() {} });
    await bus.addDevice('other', 0, []);
    await bus.settle();
    expect(attempts).to.deep.equal(['late.0', 'late.1', 'late.1']);
  });

  it('runs another pass when a trigger arrives during a probe that defers', async () => {
    const { bus } = setup();
    let ready = false;
    let tries = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.registerDriver({
      name: 'slow',
      async probe() {
        tries++;
        const wasReady = ready;
        if (tries === 1) await gate;
        if (!wasReady) throw new KernelError('EPROBE_DEFER', 'not yet');
      },
    });
    await bus.registerDriver({
      name: 'other',
      async probe() {
        ready = true;
      },
    });
    const slowAdd = bus.addDevice('slow', 0, []);
    await Promise.resolve();
    // While 'slow' probes, another device binds: a trigger during its probe.
    await bus.addDevice('other', 0, []);
    release();
    const slow = await slowAdd;
    await bus.settle();
    expect(tries).to.equal(2);
    expect(slow.bound).to.equal(true);
  });

  it('driverAttach probes only unbound matching devices', async () => {
    const { bus } = setup();
    let probes = 0;
    const drv: Driver = {
      name: 'x',
      idTable: ['x-alt'],
      async probe() {
        probes++;
      },
    };
    await bus.addDevice('x', 0, []);
    await bus.addDevice('x-alt', 1, []);
    await bus.addDevice('y', 0, []);
    await bus.registerDriver(drv);
    expect(probes).to.equal(2);
    await bus.driverAttach(drv);
    expect(probes).to.equal(2);
  });

  it('gives counted references from findDevice', async () => {
    const { bus, kernel } = setup();
    const drv: Driver = { name: 'r', async probe() {} };
    await bus.registerDriver(drv);
    const dev = await bus.addDevice('r', 0, []);
    const found = bus.findDevice(drv, (d: Device) => d.name === 'r.0');
    expect(found).to.equal(dev);
    expect(dev.ref.count).to.equal(2);
    bus.putDevice(found!);
    expect(dev.ref.count).to.equal(1);
    await bus.removeDevice(dev);
    expect(dev.ref.count).to.equal(0);
    expect(kernel.log.atLeast('warn')).to.have.length(0);
  });

  it('refuses a second removal of a device already being removed, dropping its reference once', async () => {
    const { kernel, bus } = setup();
    await bus.registerDriver({ name: 'demo', probe: async () => undefined });
    const a = await bus.addDevice('demo', 1, []);
    const b = await bus.addDevice('demo', 2, []);
    const first = bus.removeDevice(a);
    let second: unknown;
    await bus.removeDevice(a).catch((e: unknown) => (second = e));
    await first;
    expect(second).to.be.instanceOf(KernelError);
    expect((second as KernelError).code).to.equal('ENODEV');
    expect(a.ref.count).to.equal(0);
    expect(bus.allDevices()).to.deep.equal([b]);
    expect(kernel.log.atLeast('warn')).to.deep.equal([]);
  });

  it('refuses duplicate devices and drivers', async () => {
    const { bus } = setup();
    await bus.addDevice('d', 0, []);
    try {
      await bus.addDevice('d', 0, []);
      expect.fail('expected EEXIST');
    } catch (e) {
      expect((e as KernelError).code).to.equal('EEXIST');
    }
    await bus.registerDriver({ name: 'd', async probe() {} });
    try {
      await bus.registerDriver({ name: 'd', async probe() {} });
      expect.fail('expected EBUSY');
    } catch (e) {
      expect((e as KernelError).code).to.equal('EBUSY');
    }
  });
});
