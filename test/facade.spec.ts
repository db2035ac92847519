// The Machine facade: close beside open, per-device whenBound, stable bindings order, the overflow lifecycle event, installed vs loaded at boot.

import { builtinPlatform, ConstantRate, type PlatformSpec } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { rejects } from './helpers/errors.js';
import { MS } from './helpers/machine.js';

const SCF0 = 'arm-cs-arch-pmu.0';

describe('Machine facade', function () {
  this.timeout(60000);

  it('close takes one event or a list, members before leaders, and checks the whole list before closing any', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    try {
      const [leader, member] = m.open('{arm_cspmu_mc_0/cycles/,arm_cspmu_mc_0/event=0x1/}');
      const [lone] = m.open('arm_cspmu_pcie_0/cycles/');
      const closed: number[] = [];
      m.kernel.lifecycle.on('event:closed', (p) => closed.push(p.id));
      await m.close(lone!);
      expect(closed).to.deep.equal([lone!.id]);
      const bad = (() => {
        try {
          m.close([leader!, lone!]);
        } catch (e) {
          return e as { code: string; message: string };
        }
        return undefined;
      })();
      expect(bad?.code).to.equal('EBADF');
      expect(bad?.message).to.contain(`event ${lone!.id} is not an open event of this machine`);
      expect(m.perf.liveEvents()).to.have.members([leader!, member!]);
      expect(() => m.close([member!, member!])).to.throw(`event ${member!.id} is listed twice`);
      expect(m.perf.liveEvents()).to.have.length(2);
      await m.close([leader!, member!]);
      expect(closed).to.deep.equal([lone!.id, member!.id, leader!.id]);
      expect(m.perf.liveEvents()).to.deep.equal([]);
    } finally {
      await m.shutdown();
    }
  });

  it('whenBound resolves once the device is rebound to the asked backend, after its last event closes; bindings keep their order', async () => {
    const m = await Machine.boot({ blacklist: ['@cspmu/nvidia'] });
    try {
      const order = m.bindings().map((b) => b.device);
      expect(m.bindings().every((b) => b.backend === 'arm_cspmu_generic' && b.module === 'arm_generic_cspmu')).to.equal(true);
      expect(m.modules.get('nvidia_cspmu')).to.equal(undefined);
      expect(await m.whenBound(SCF0)).to.include({ pmu: 'arm_cspmu_cache_0', backend: 'arm_cspmu_generic' });
      const [e] = m.open('arm_cspmu_cache_0/cycles/');
      let bound: unknown;
      const waiting = m.whenBound(SCF0, { backend: 'nvidia_cspmu' }).then((b) => (bound = b));
      await m.load('@cspmu/nvidia');
      expect(bound).to.equal(undefined);
      expect(m.bindings().find((b) => b.device === SCF0)).to.include({ backend: 'arm_cspmu_generic', reprobePending: true, events: 1 });
      await m.close(e!);
      await waiting;
      expect(bound).to.deep.equal({ device: SCF0, pmu: 'nvidia_scf_pmu_0', backend: 'nvidia_cspmu', module: 'nvidia_cspmu', events: 0, reprobePending: false });
      expect(m.bindings().map((b) => b.device)).to.deep.equal(order);
      const err = await rejects(m.whenBound('arm-cs-arch-pmu.99'));
      expect(err.code).to.equal('ENODEV');
      expect(err.message).to.contain("no device 'arm-cs-arch-pmu.99' on this machine; its devices are arm-cs-arch-pmu.0, arm-cs-arch-pmu.1");
    } finally {
      await m.shutdown();
    }
  });

  it('installed, blacklisted and loaded at boot are three different things', async () => {
    const notInstalled = await Machine.boot({ installed: ['@cspmu/arm-generic'] });
    const blacklisted = await Machine.boot({ blacklist: ['nvidia_cspmu'] });
    const loaded = await Machine.boot({ plugins: ['@cspmu/nvidia'], blacklist: ['nvidia_cspmu'] });
    try {
      const e = await rejects(notInstalled.load('@cspmu/nvidia'));
      expect(e.code).to.equal('ENOENT');
      expect(e.message).to.contain('is in the module roots but not installed on this machine; add its package to the installed list');
      expect(blacklisted.bindings().filter((b) => b.backend === 'nvidia_cspmu')).to.have.length(0);
      await blacklisted.load('@cspmu/nvidia');
      expect(blacklisted.bindings().filter((b) => b.backend === 'nvidia_cspmu')).to.have.length(10);
      expect(loaded.bindings().filter((b) => b.backend === 'nvidia_cspmu')).to.have.length(10);
      const bad = await rejects(Machine.boot({ blacklist: [42 as unknown as string] }));
      expect(bad.message).to.contain('blacklist entry 42 is not a module or package name');
    } finally {
      await Promise.all([notInstalled.shutdown(), blacklisted.shutdown(), loaded.shutdown()]);
    }
  });

  it('fires cspmu:overflow for each counter overflow the interrupt handler folds', async () => {
    const m = await Machine.boot({ platform: 'arm-generic' });
    try {
      const label = m.platform.pmus.find((p) => p.label === 'mc0')!;
      expect(label.counterBits).to.equal(32);
      const seen: unknown[] = [];
      m.kernel.lifecycle.on('cspmu:overflow', (p) => seen.push(p));
      const [e] = m.open('arm_cspmu_mc_0/cycles/');
      const t0 = m.clock.now();
      m.advance(5000 * MS);
      const cycles = new ConstantRate(label.clockHz).at(m.clock.now()) - new ConstantRate(label.clockHz).at(t0);
      // Preloaded to 2^31 - 1, the counter first overflows after 2^31 + 1 cycles, then every 2^31.
      const overflows = cycles < 2 ** 31 + 1 ? 0 : Math.floor((cycles - (2 ** 31 + 1)) / 2 ** 31) + 1;
      expect(overflows).to.equal(2);
      expect(seen).to.deep.equal(Array.from({ length: overflows }, () => ({ device: 'arm-cs-arch-pmu.0', pmu: 'arm_cspmu_mc_0', counter: 31, event: e!.id })));
      expect(m.perf.read(e!).value).to.equal(cycles);
    } finally {
      await m.shutdown();
    }
  });

  it('reports every overflow of a fast-wrapping counter one by one (no closed-form replay while someone listens)', async () => {
    const spec = JSON.parse(JSON.stringify(builtinPlatform('arm-generic'))) as { pmus: { label: string; counterBits: number }[] };
    spec.pmus.find((p) => p.label === 'mc0')!.counterBits = 8;
    const m = await Machine.boot({ platform: spec as unknown as PlatformSpec });
    try {
      let overflows = 0;
      m.kernel.lifecycle.on('cspmu:overflow', () => overflows++);
      const [e] = m.open('arm_cspmu_mc_0/cycles/');
      const t0 = m.clock.now();
      m.advance(1_000_000);
      const cycles = m.clock.now() - t0; // 1 GHz
      const gsi = m.platform.pmus.find((p) => p.label === 'mc0')!.irq!.gsi;
      // One report per interrupt the handler took, thousands of them (about one per 2^7 cycles), and the count exact.
      expect(overflows).to.equal(m.kernel.irqs.stats(gsi).handled);
      expect(overflows).to.be.greaterThan(7000);
      expect(m.perf.read(e!).value).to.equal(cycles);
    } finally {
      await m.shutdown();
    }
  });
});
