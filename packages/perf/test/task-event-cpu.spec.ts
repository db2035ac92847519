// Tests that a task event (CPU -1) runs on its task's CPU: every trace record its PMU callbacks make names a CPU of the machine.
import { FunctionTracer } from '@cspmu/kernel';
import { expect } from 'chai';
import { PERF_TYPE } from '../src/index.js';
import { perfRig } from './helpers.js';

describe('A task event on the CPU its task runs on', () => {
  it("stamps each traced PMU callback of a task event's open, reads and close with the task's CPU, never CPU -1", async () => {
    const { kernel, core } = perfRig();
    const tracer = new FunctionTracer(kernel.trace);
    for (const site of kernel.callSites.list()) kernel.callSites.attach(site.name, tracer);
    const sites: string[] = [];
    const closed = kernel.smp.on(2, () => {
      const e = core.open({ type: PERF_TYPE.SOFTWARE, config: 1n }, { cpu: -1, pid: 42 });
      core.readCount(e);
      // read(2) finishes at once when nothing waits, and so does close's part on the CPU.
      expect(core.sys.read(e)).to.not.be.instanceOf(Promise);
      expect(kernel.smp.current).to.equal(2);
      return core.close(e);
    });
    await closed;
    expect(kernel.smp.current).to.equal(0);
    for (const l of kernel.trace.peek()) sites.push(`${l.cpu} ${l.text.split(' ')[0]}`);
    expect(sites).to.deep.equal([
      '2 pmu->event_init',
      '2 pmu->pmu_disable',
      '2 pmu->add',
      '2 pmu->pmu_enable',
      '2 pmu->read',
      '2 pmu->read',
      '2 pmu->pmu_disable',
      '2 pmu->del',
      '2 pmu->pmu_enable',
    ]);
  });
});
