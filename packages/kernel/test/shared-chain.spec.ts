// Call chains as KASAN and lockdep keep them: one frozen array per chain, shared by every machine of the process, and a bound on how many.
import { expect } from 'chai';
import { createKernel } from '../src/index.js';

describe('Shared call chains', () => {
  it('gives the chain() of the moment as one frozen array, the same for the same names on any machine', async () => {
    const one = createKernel().kernel;
    const two = createKernel().kernel;
    const take = (k: typeof one) =>
      k.calls.runAsync(['shared_outer', 'shared_inner'], async () =>
        k.calls.run('shared_leaf', () => ({ shared: k.calls.sharedChain(), fresh: k.calls.chain() })),
      );
    const a = await take(one);
    const b = await take(two);
    expect(a.shared).to.deep.equal(['shared_outer', 'shared_inner', 'shared_leaf']);
    expect(a.shared).to.deep.equal(a.fresh);
    expect(Object.isFrozen(a.shared)).to.equal(true);
    expect(b.shared).to.equal(a.shared);
    // Another chain is another array; a shorter one is its own too.
    const outer = await one.calls.runAsync(['shared_outer', 'shared_inner'], async () => one.calls.sharedChain());
    expect(outer).to.deep.equal(['shared_outer', 'shared_inner']);
    expect(outer).to.not.equal(a.shared);
    // KASAN's shadows carry them.
    expect(one.calls.run('shared_alloc', () => one.kasan.alloc('struct thing', 'thing.0')).allocBy).to.equal(
      two.calls.run('shared_alloc', () => two.kasan.alloc('struct thing', 'thing.1')).allocBy,
    );
  });

  it('keeps at most 65,536 chain steps: past them each chain is made afresh (still frozen, still right)', async () => {
    const { kernel } = createKernel();
    const at = (name: string) => kernel.calls.runAsync([name], async () => kernel.calls.sharedChain());
    for (let i = 0; i < 1 << 16; i++) await at(`bound_${i}`);
    const first = await at('past_the_bound');
    const again = await at('past_the_bound');
    expect(again).to.deep.equal(['past_the_bound']);
    expect(Object.isFrozen(again)).to.equal(true);
    expect(again).to.not.equal(first);
  });

  it('puts back the synchronous stack a sleeping function set aside, nested ones in order', async () => {
    const { kernel } = createKernel();
    const c = kernel.calls;
    const seen: string[][] = [];
    let inner: Promise<void> | undefined;
    const outer = c.run('outer_fn', () => {
      const p = c.runAsync('sleeper', async () => {
        // Pushed at depth 0, over where outer_fn was.
        c.run('middle_fn', () => {
          inner = c.runAsync('inner_sleeper', async () => {
            c.run('inner_fn', () => seen.push(c.chain()));
            await null;
          });
          seen.push(c.chain());
        });
        seen.push(c.chain());
        await null;
      });
      seen.push(c.chain());
      return p;
    });
    await Promise.all([outer, inner]);
    expect(seen).to.deep.equal([
      ['outer_fn', 'sleeper', 'middle_fn', 'inner_sleeper', 'inner_fn'],
      ['outer_fn', 'sleeper', 'middle_fn'],
      ['outer_fn', 'sleeper'],
      ['outer_fn'],
    ]);
    expect(c.depth).to.equal(0);
    // Nothing is left set aside: a stack that only grew would keep every frame ever put back.
    expect((c as unknown as { saved: readonly number[] }).saved).to.have.length(0);
  });
});
