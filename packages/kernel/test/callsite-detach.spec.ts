// Tests that a detached call-site tracer is freed only after the calls already using it have returned.
import { expect } from 'chai';
import { createKernel, type SiteTracer } from '../src/index.js';

describe('Call-site detach', () => {
  it('frees a tracer only after the calls already using it have returned', async () => {
    const { kernel } = createKernel();
    const sites = kernel.callSites;
    const site = sites.site('test_read', () => ['pmu0', 7]);
    const order: string[] = [];
    const state = kernel.kasan.alloc('struct test_tracer', 'tracer0');
    const tracer: SiteTracer = {
      name: 'test',
      onCall: () => {
        order.push('onCall');
        if (state.freedBy !== null) state.report('tracer->records');
      },
      release: () => {
        order.push('release');
        kernel.calls.run('kfree', () => state.free(), 'ftrace_free_ops');
      },
    };
    sites.attach('test_read', tracer);
    let detached: Promise<void> | undefined;
    // Another CPU detaches while this call is inside the traced function.
    const r = sites.call(
      site,
      null,
      () => {
        order.push('call');
        detached = sites.detach('test_read', tracer);
        return 1;
      },
      undefined,
    );
    expect(r).to.equal(1);
    expect(site.ops).to.equal(null);
    expect(order).to.deep.equal(['call', 'onCall']);
    await detached;
    expect(order).to.deep.equal(['call', 'onCall', 'release']);
    expect(kernel.kasan.reports).to.deep.equal([]);
  });
});
