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

  it('counts every event in a free as holding its module until its module_put: nested frees straight through, and one that sleeps', async () => {
    const { core, mod, type } = await backed();
    const [a, b, c] = [0, 1, 2].map(() => core.open({ type, config: 1n }, { cpu: 0 }));
    const seen: string[] = [];
    const holding = () => core.eventsHoldingModule().map((e) => e.id);
    let wake!: () => void;
    let bFreed!: Promise<void>;
    let cFreed!: Promise<void>;
    // a's destroy closes b, whose destroy closes c, whose destroy sleeps: b finishes inside a's destroy, c waits.
    a!.destroy = () => {
      seen.push(`a destroy ${holding()}`);
      bFreed = core.close(b!);
      seen.push(`b closed ${holding()} refs ${mod.refs}`);
    };
    b!.destroy = () => {
      seen.push(`b destroy ${holding()}`);
      cFreed = core.close(c!);
      seen.push(`c closed ${holding()}`);
    };
    c!.destroy = () => {
      seen.push(`c destroy ${holding()}`);
      return new Promise<void>((r) => (wake = r));
    };
    const aFreed = core.close(a!);
    seen.push(`a closed ${holding()} refs ${mod.refs}`);
    expect(seen).to.deep.equal(['a destroy 1', 'b destroy 1,2', 'c destroy 1,2,3', 'c closed 3,1,2', 'b closed 3,1 refs 2', 'a closed 3 refs 1']);
    expect([a!.state, b!.state, c!.state]).to.deep.equal([S.DEAD, S.DEAD, S.EXIT]);
    wake();
    await Promise.all([aFreed, bFreed, cFreed]);
    expect(holding()).to.deep.equal([]);
    expect([mod.refs, c!.state, core.freeing.activeReaders]).to.deep.equal([0, S.DEAD, 0]);
  });

  it('a free that failed is listed after the frees still running (failed, not left on the running stack)', async () => {
    const { core, type } = await backed();
    const [a, b] = [0, 1].map(() => core.open({ type, config: 1n }, { cpu: 0 }));
    a!.destroy = () => {
      throw new Error('destroy failed');
    };
    let during: number[] = [];
    b!.destroy = () => void (during = core.eventsHoldingModule().map((e) => e.id));
    const aFreed = core.close(a!).catch((x: Error) => x.message);
    await core.close(b!);
    // The sleeping frees, the running ones (b, in its destroy), then the failed ones (a).
    expect(during).to.deep.equal([b!.id, a!.id]);
    expect(core.eventsHoldingModule()).to.deep.equal([a]);
    expect(await aFreed).to.equal('destroy failed');
  });

  for (const scheduled of [false, true]) {
    it(`${scheduled ? 'under a scheduler, ' : ''}a destroy that throws leaves nothing in flight, rejects the close and keeps its module reference, named as held`, async () => {
      const { core, kernel, mod, type } = await backed();
      const e = core.open({ type, config: 1n }, { cpu: 0 });
      e.destroy = () => {
        throw new Error('destroy failed');
      };
      if (scheduled) kernel.yieldPoint = () => undefined;
      let err: unknown;
      await core.close(e).catch((x) => (err = x));
      expect((err as Error).message).to.equal('destroy failed');
      expect(core.freeing.activeReaders).to.equal(0);
      // No module_put ran: the reference leaks, and the list of holders says so.
      expect(mod.refs).to.equal(1);
      expect(core.eventsHoldingModule()).to.deep.equal([e]);
    });
  }
});
