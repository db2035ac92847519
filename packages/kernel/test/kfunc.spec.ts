// Tests of kernel-function frames (the @kfunc decorator) and of call sites with and without tracers.
import { expect } from 'chai';
import { type CallStack, createKernel, kernelFunction, kfunc, type SiteTracer } from '../src/index.js';

class Driver {
  seen: string[] = [];
  constructor(readonly calls: CallStack) {}

  @kfunc('drv_outer')
  outer(fail: boolean): number {
    return this.inner(fail) + 1;
  }

  @kfunc('drv_inner')
  inner(fail: boolean): number {
    this.seen = this.calls.names();
    if (fail) throw new Error('boom');
    return 41;
  }
}

describe('Kernel functions and call sites', () => {
  it('a decorated method runs in its frame, nested, and leaves it on return and on throw', () => {
    const { kernel } = createKernel();
    const d = new Driver(kernel.calls);
    expect(d.outer(false)).to.equal(42);
    expect(d.seen).to.deep.equal(['drv_outer', 'drv_inner']);
    expect(kernel.calls.depth).to.equal(0);
    expect(() => d.outer(true)).to.throw('boom');
    expect(kernel.calls.depth).to.equal(0);
  });

  it("names a frame by one id on every machine, which each machine's string table resolves beside its own strings", () => {
    const a = createKernel().kernel;
    const b = createKernel().kernel;
    const local = a.trace.strings.intern('some_string');
    const d = new Driver(a.calls);
    const depth = a.calls.push(kernelFunction('drv_outer').id);
    expect(a.calls.current()).to.equal(b.calls.intern('drv_outer'));
    expect(a.calls.current()).to.not.equal(local);
    expect(a.trace.strings.get(a.calls.current())).to.equal('drv_outer');
    expect(b.trace.strings.get(a.calls.current())).to.equal('drv_outer');
    expect(a.trace.strings.get(local)).to.equal('some_string');
    expect(d.outer(false)).to.equal(42);
    expect(d.seen).to.deep.equal(['drv_outer', 'drv_outer', 'drv_inner']);
    a.calls.pop(depth);
    expect(a.calls.names()).to.deep.equal([]);
  });

  it('keeps counting frames past the 256 it records: the deepest recorded ones stay, the rest read as unknown, and popping comes back', () => {
    const { kernel } = createKernel();
    const calls = kernel.calls;
    const outer = kernelFunction('drv_outer').id;
    const inner = kernelFunction('drv_inner').id;
    const depths: number[] = [];
    for (let i = 0; i < 300; i++) depths.push(calls.push(i === 255 ? inner : outer));
    expect(depths[299]).to.equal(299);
    expect(calls.depth).to.equal(300);
    expect(calls.names()).to.have.length(256);
    expect(calls.names()[255]).to.equal('drv_inner');
    expect(calls.current()).to.equal(calls.unknownId);
    expect(calls.parent()).to.equal(calls.unknownId);
    calls.pop(depths[256]!);
    expect(calls.current()).to.equal(inner);
    expect(calls.parent()).to.equal(outer);
    calls.pop(depths[0]!);
    expect(calls.depth).to.equal(0);
    expect(calls.names()).to.deep.equal([]);
  });

  it('gives one function object per name and refuses names that are not identifiers', () => {
    expect(kernelFunction('drv_outer')).to.equal(kernelFunction('drv_outer'));
    expect(() => kernelFunction('not a name')).to.throw(/not an identifier/);
  });

  it('a site calls straight through in its caller frame when untraced, and through its tracers when patched', () => {
    const { kernel } = createKernel();
    const sites = kernel.callSites.define({ op: { site: 'test->op', caller: 'test_caller' } }, (_self, a) => [`t${String(a)}`, 3]);
    const target = {
      k: 10,
      op(this: { k: number }, a: number, b: number) {
        return [this.k + a + b, kernel.calls.names()] as const;
      },
    };
    const [v, frames] = sites.op.invoke(target, target.op, 1, 2);
    expect(v).to.equal(13);
    expect(frames).to.deep.equal(['test_caller']);
    const seen: string[] = [];
    const tracer: SiteTracer = {
      name: 't',
      onCall: (site, who, id, _dt, result) => seen.push(`${site.name} ${who} ${id} ${String((result as readonly unknown[])[0])}`),
    };
    kernel.callSites.attach('test->op', tracer);
    sites.op.invoke(target, target.op, 5, 0);
    expect(seen).to.deep.equal(['test->op t5 3 15']);
    expect(kernel.calls.depth).to.equal(0);
  });

  it("a site whose callee throws leaves its caller's frame on the way out, untraced and traced, so later call chains name nothing stale", () => {
    const { kernel } = createKernel();
    const sites = kernel.callSites.define({ op: { site: 'test->refuse', caller: 'test_refuser' } }, (_self, a) => [`t${String(a)}`, 0]);
    const target = {
      op(this: unknown, _a: number, _b: number): number {
        throw new Error(`refused with ${kernel.calls.names().join(' > ')}`);
      },
    };
    expect(() => sites.op.invoke(target, target.op, 1, 2)).to.throw('refused with test_refuser');
    expect([kernel.calls.depth, kernel.calls.names()]).to.deep.equal([0, []]);
    const errors: string[] = [];
    kernel.callSites.attach('test->refuse', { name: 't', onCall: (_site, who, _id, _dt, _result, error) => errors.push(`${who} ${String(error?.message)}`) });
    expect(() => sites.op.invoke(target, target.op, 3, 4)).to.throw('refused with test_refuser');
    expect([kernel.calls.depth, kernel.calls.names()]).to.deep.equal([0, []]);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^t3 .*refused with test_refuser/);
  });
});
