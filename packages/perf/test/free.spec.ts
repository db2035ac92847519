// Tests of the free path's two ways: straight through inside close() when nothing can preempt it, and sleeping where a destroy or a scheduler makes it.
import type { ModuleDescriptor } from '@cspmu/kernel';
import { expect } from 'chai';
import { PERF_EVENT_STATE as S } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

async function backed() {
  const rig = perfRig();
  const desc: ModuleDescriptor = { name: 'test_backend', version: '1', apiVersion: 1, init() {}, exit() {} };
  const mod = await rig.modules.registerBuiltin(desc);
  const pmu = new TestPmu(rig.clock, 2, mod);
  const type = rig.core.register(pmu, 'backed_pmu_0');
  return { ...rig, mod, type };
}

describe('perf core: the free path', () => {
  it('frees straight through inside close() when no scheduler is installed and destroy does not sleep', async () => {
    const { core, mod, type, kernel } = await backed();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    const chains: string[][] = [];
    e.destroy = () => void chains.push(kernel.calls.chain());
    const done = core.close(e);
    // Before any await: destroyed, module reference dropped, event dead, nothing in flight.
    expect(e.state).to.equal(S.DEAD);
    expect(mod.refs).to.equal(0);
    expect(core.freeing.activeReaders).to.equal(0);
    expect(core.eventsHoldingModule()).to.deep.equal([]);
    // destroy ran inside the release chain, as the sleeping path names it.
    expect(chains).to.deep.equal([['perf_release', 'perf_event_release_kernel', 'put_event', '_free_event']]);
    expect(kernel.calls.depth).to.equal(0);
    await done;
  });

  it('waits for a destroy that sleeps before the core goes on (module_put after it)', async () => {
    const { core, mod, type } = await backed();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    let wake!: () => void;
    e.destroy = () => new Promise<void>((r) => (wake = r));
    const done = core.close(e);
    expect(e.state).to.equal(S.EXIT);
    expect(mod.refs).to.equal(1);
    expect(core.freeing.activeReaders).to.equal(1);
    expect(core.eventsHoldingModule()).to.deep.equal([e]);
    await Promise.resolve();
    expect(mod.refs).to.equal(1);
    wake();
    await done;
    expect(e.state).to.equal(S.DEAD);
    expect(mod.refs).to.equal(0);
    expect(core.freeing.activeReaders).to.equal(0);
  });

  it('stops at each preemption point when a scheduler is installed', async () => {
    const { core, mod, type, kernel } = await backed();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    const held: { where: string; go: () => void }[] = [];
    kernel.yieldPoint = (where) => new Promise<void>((go) => held.push({ where, go }));
    const done = core.close(e);
    await Promise.resolve();
    expect(held.map((h) => h.where)).to.deep.equal(['_free_event']);
    expect(mod.refs).to.equal(1);
    held.shift()!.go();
    for (let i = 0; i < 5 && held.length === 0; i++) await Promise.resolve();
    expect(held.map((h) => h.where)).to.deep.equal(['_free_event']);
    expect(mod.refs).to.equal(1);
    held.shift()!.go();
    await done;
    expect(mod.refs).to.equal(0);
    expect(e.state).to.equal(S.DEAD);
  });

  it('a destroy that throws leaves nothing in flight and rejects the close', async () => {
    const { core, type } = await backed();
    const e = core.open({ type, config: 1n }, { cpu: 0 });
    e.destroy = () => {
      throw new Error('destroy failed');
    };
    let err: unknown;
    await core.close(e).catch((x) => (err = x));
    expect((err as Error).message).to.equal('destroy failed');
    expect(core.freeing.activeReaders).to.equal(0);
    expect(core.eventsHoldingModule()).to.deep.equal([]);
  });
});
