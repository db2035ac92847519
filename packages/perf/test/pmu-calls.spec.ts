// Tests that the perf core's direct calls into PMU callbacks keep what CallSite.invoke gave them: the context's CPU, and the call stack as it was.
import { kerr } from '@cspmu/kernel';
import { expect } from 'chai';
import type { PerfEvent } from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

describe('Perf core: untraced PMU callbacks', () => {
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
