// Tests of the lifetime checker: use-after-free and double-free reports with their chains across awaits, and KASAN off.
import { expect } from 'chai';
import { createKernel } from '../src/index.js';

describe('KASAN lifetime checker', () => {
  it('reports a use after free with the access, allocation and free chains, each kept across awaits', async () => {
    const { kernel } = createKernel();
    const calls = kernel.calls;
    const obj = calls.run('devm_kzalloc', () => kernel.kasan.alloc('struct thing', 'thing.0'), ['driver_probe', 'thing_probe']);
    let resumeFree!: () => void;
    const freeing = calls.runAsync(['device_release_driver', 'devres_release_all'], async () => {
      await new Promise<void>((r) => (resumeFree = r));
      calls.run('kfree', () => obj.free(), 'devm_kfree');
    });
    const user = calls.runAsync('thing_user', async () => {
      await Promise.resolve();
      expect(obj.freedBy).to.equal(null);
      resumeFree();
      await freeing;
      calls.run('thing_read', () => {
        if (obj.freedBy !== null) obj.report('thing->field');
      });
    });
    await user;
    expect(kernel.kasan.reports).to.have.length(1);
    const r = kernel.kasan.reports[0]!;
    expect(r).to.deep.include({ kind: 'slab-use-after-free', type: 'struct thing', object: 'thing.0', access: 'thing->field' });
    expect(r.accessChain).to.deep.equal(['thing_read', 'thing_user']);
    expect(r.allocChain).to.deep.equal(['devm_kzalloc', 'thing_probe', 'driver_probe']);
    expect(r.freeChain).to.deep.equal(['kfree', 'devm_kfree', 'devres_release_all', 'device_release_driver']);
    expect(r.text.split('\n').slice(1, 4)).to.deep.equal([
      'BUG: KASAN: slab-use-after-free in thing_read',
      'Read of thing->field in struct thing thing.0',
      'Call Trace:',
    ]);
    expect(
      kernel.log
        .atLeast('err')
        .filter((l) => l.subsystem === 'kasan')
        .map((l) => l.message)
        .join('\n'),
    ).to.equal(r.text);
  });

  it('keeps machines apart and restores a synchronous stack around a sleeping call', async () => {
    const a = createKernel().kernel;
    const b = createKernel().kernel;
    const d = a.calls.push(a.calls.intern('outer_sync'));
    const p = a.calls.runAsync('sleeper', async () => {
      expect(b.calls.chain()).to.deep.equal([]);
      await Promise.resolve();
      return a.calls.chain();
    });
    expect(a.calls.names()).to.deep.equal(['outer_sync']);
    a.calls.pop(d);
    expect(await p).to.deep.equal(['outer_sync', 'sleeper']);
  });

  it('reports a double free, and with KASAN off marks nothing (a checked access is one branch that never fires)', () => {
    const { kernel } = createKernel();
    const s = kernel.kasan.alloc('struct thing', 'thing.1');
    s.free();
    s.free();
    expect(kernel.kasan.reports.map((r) => r.kind)).to.deep.equal(['double-free']);
    const off = createKernel({ kasan: false }).kernel;
    const t = off.kasan.alloc('struct thing', 'thing.2');
    t.free();
    expect(t.freedBy).to.equal(null);
    off.kasan.check(t, 'thing->field');
    expect(off.kasan.reports).to.deep.equal([]);
    expect(() => createKernel({ kasan: 'yes' as never })).to.throw('kasan must be true or false');
  });
});
