// Tests that a device leaves the deferred-probe lists (pending, and active once a trigger moved it) when it binds or goes away.
import { expect } from 'chai';
import { createKernel, KernelError, type PlatformBus, TOKENS } from '../src/index.js';

/** A bus with a 'consumer' driver that defers until `ready()`, and a 'supplier' driver that binds at once. */
async function setup() {
  const { container } = createKernel();
  const bus = container.get<PlatformBus>(TOKENS.PlatformBus);
  let supplierReady = false;
  const attempts: string[] = [];
  let hold: { device: string; started: () => void; gate: Promise<void> } | undefined;
  await bus.registerDriver({
    name: 'consumer',
    async probe(dev) {
      attempts.push(dev.name);
      if (hold?.device === dev.name) {
        const h = hold;
        hold = undefined;
        h.started();
        await h.gate;
      }
      if (!supplierReady) throw new KernelError('EPROBE_DEFER', 'waiting for the supplier');
    },
  });
  await bus.registerDriver({ name: 'supplier', async probe() {} });
  /** Make the next probe of `device` wait, once it has started, until release(). */
  const holdRetry = (device: string) => {
    let started!: () => void;
    let release!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    hold = { device, started, gate: new Promise<void>((r) => (release = r)) };
    return { started: startedP, release };
  };
  return { bus, attempts, holdRetry, ready: () => (supplierReady = true) };
}

describe('Driver core: the deferred-probe lists', () => {
  it('forgets a pending device that is removed: it is no longer listed, and no retry probes it', async () => {
    const { bus, attempts } = await setup();
    const consumer = await bus.addDevice('consumer', 0, []);
    const other = await bus.addDevice('consumer', 1, []);
    expect(bus.deferredDevices().map((d) => d.device)).to.deep.equal(['consumer.0', 'consumer.1']);
    expect(await bus.removeDevice(consumer)).to.equal(true);
    expect(bus.deferredDevices().map((d) => d.device)).to.deep.equal(['consumer.1']);
    expect([bus.isDeferred(consumer), bus.isDeferred(other)]).to.deep.equal([false, true]);
    await bus.addDevice('supplier', 0, []);
    await bus.settle();
    expect(attempts).to.deep.equal(['consumer.0', 'consumer.1', 'consumer.1']);
  });

  it('forgets a device a trigger moved to the active list when it is removed before the retry reaches it', async () => {
    const { bus, attempts, holdRetry } = await setup();
    const first = await bus.addDevice('consumer', 0, []);
    const second = await bus.addDevice('consumer', 1, []);
    // The first device's retry waits in its probe: the second stays on the active list meanwhile.
    const held = holdRetry('consumer.0');
    // The supplier binds: the trigger moves both to the active list and the retry pass starts with the first.
    await bus.addDevice('supplier', 0, []);
    await held.started;
    expect(bus.deferredDevices().map((d) => d.device)).to.deep.equal(['consumer.1']);
    expect(await bus.removeDevice(second)).to.equal(true);
    expect([bus.deferredDevices(), bus.isDeferred(second)]).to.deep.equal([[], false]);
    held.release();
    await bus.settle();
    // The pass probed the first again (it defers again) and nothing else.
    expect(attempts).to.deep.equal(['consumer.0', 'consumer.1', 'consumer.0']);
    expect(bus.deferredDevices().map((d) => d.device)).to.deep.equal(['consumer.0']);
    expect(bus.isDeferred(first)).to.equal(true);
  });

  it('forgets a pending device that binds through a direct attach, before its bind triggers the retry pass', async () => {
    const { bus, attempts, holdRetry, ready } = await setup();
    const first = await bus.addDevice('consumer', 0, []);
    const second = await bus.addDevice('consumer', 1, []);
    ready();
    // The second binds directly; its bind triggers a pass, whose probe of the first waits meanwhile.
    const held = holdRetry('consumer.0');
    expect(await bus.attachDevice(second)).to.equal(true);
    await held.started;
    expect([bus.deferredDevices(), bus.isDeferred(second)]).to.deep.equal([[], false]);
    held.release();
    await bus.settle();
    expect([first.bound, second.bound]).to.deep.equal([true, true]);
    expect(attempts).to.deep.equal(['consumer.0', 'consumer.1', 'consumer.1', 'consumer.0']);
  });
});
