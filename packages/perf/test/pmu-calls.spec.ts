// Tests that the perf core's calls into PMU callbacks run on the context's CPU (a task context's: the current one) and give back the CPU and call stack they found, however they end.
import { FunctionTracer, kerr } from '@cspmu/kernel';
import { expect } from 'chai';
import { PERF_TYPE, type PerfEvent, type Pmu } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

describe('Perf core: the CPU and call stack of PMU callbacks', () => {
  it('add, del, pmu_disable and pmu_enable run on the context CPU, and the CPU before is back after', () => {
    const { core, kernel, pmu, type } = perfRig();
    const seen: string[] = [];
    const smp = kernel.smp;
    const at = <R>(what: string, r: () => R): R => {
      seen.push(`${what}@${smp.current}`);
      return r();
    };
    const { add, del, pmuEnable, pmuDisable } = TestPmu.prototype;
    Object.assign(pmu, {
      add: (e: PerfEvent, f: number) => at('add', () => add.call(pmu, e, f)),
      del: (e: PerfEvent) => at('del', () => del.call(pmu, e)),
      pmuEnable: () => at('enable', () => pmuEnable.call(pmu)),
      pmuDisable: () => at('disable', () => pmuDisable.call(pmu)),
    });
    smp.current = 1;
    const e = core.open({ type, config: 1n }, { cpu: 2 });
    void core.close(e);
    expect(seen).to.deep.equal(['disable@2', 'add@2', 'enable@2', 'disable@2', 'del@2', 'enable@2']);
    expect(smp.current).to.equal(1);
  });

  it('a task event (CPU -1) runs add, del, pmu_disable and pmu_enable on the CPU its task is on, not on CPU -1', () => {
    const { core, kernel } = perfRig();
    const smp = kernel.smp;
    const sw = core.pmuByName('software')!;
    const seen: string[] = [];
    const at = <R>(what: string, r: () => R): R => {
      seen.push(`${what}@${smp.current}`);
      return r();
    };
    const { add, del, pmuEnable, pmuDisable } = sw;
    Object.assign(sw, {
      add: (e: PerfEvent, f: number) => at('add', () => add.call(sw, e, f)),
      del: (e: PerfEvent, f: number) => at('del', () => del.call(sw, e, f)),
      pmuEnable: () => at('enable', () => pmuEnable.call(sw)),
      pmuDisable: () => at('disable', () => pmuDisable.call(sw)),
    });
    // No tracer on any site: every callback takes the direct path.
    expect(kernel.callSites.list().filter((s) => s.ops !== null)).to.deep.equal([]);
    smp.on(3, () => {
      const e = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: -1, pid: 42 });
      void core.close(e);
      expect(smp.current).to.equal(3);
    });
    expect(seen).to.deep.equal(['disable@3', 'add@3', 'enable@3', 'disable@3', 'del@3', 'enable@3']);
    expect(smp.current).to.equal(0);
  });

  it('a traced callback that throws gives the CPU before back (traced add on CPU 2, called from CPU 1)', () => {
    const { core, kernel, pmu, type } = perfRig();
    const smp = kernel.smp;
    kernel.callSites.attach('pmu->add', new FunctionTracer(kernel.trace));
    const seen: number[] = [];
    (pmu as Pmu).add = () => {
      seen.push(smp.current);
      throw kerr('EIO', 'add failed');
    };
    smp.current = 1;
    expect(() => core.open({ type, config: 1n }, { cpu: 2 })).to.throw('EIO: add failed');
    expect(seen).to.deep.equal([2]);
    expect(smp.current).to.equal(1);
  });

  it('an event_init that throws with frames of its own pushed leaves the call stack at the depth it found', () => {
    const { core, kernel, pmu, type } = perfRig();
    const calls = kernel.calls;
    const frame = calls.intern('leaky_event_init');
    pmu.eventInit = () => {
      calls.push(frame);
      calls.push(frame);
      throw kerr('EINVAL', 'refused after pushing two frames');
    };
    const depth = calls.depth;
    expect(() => core.open({ type, config: 1n }, { cpu: 0 })).to.throw('refused after pushing two frames');
    expect(calls.depth).to.equal(depth);
  });
});
