// Tests of the events and format files every instance of one backend shares: each shows the text its own geometry gives.
import { Machine } from '@cspmu/system';
import { manyPmus } from '@cspmu/testkit';
import { expect } from 'chai';

describe('arm_cspmu sysfs: events and format files shared per backend', () => {
  it('a FEAT_CSPMU_EXT64 device and a 32-bit one on the generic backend each show their own format text, in either order', async () => {
    const formats = async (order: readonly boolean[]) => {
      const m = await Machine.boot({ platform: manyPmus(order.length, (i) => order[i] === true), installed: [] });
      const out = m.driver.bindings().map((b) => ['event', 'filter'].map((f) => m.kernel.sysfs.read(`/bus/event_source/devices/${b.pmu}/format/${f}`)));
      await m.shutdown();
      return out;
    };
    const wide = ['config:0-63\n', 'config1:0-63\n'];
    const narrow = ['config:0-32\n', 'config1:0-31\n'];
    expect(await formats([false, true])).to.deep.equal([narrow, wide]);
    expect(await formats([true, false])).to.deep.equal([wide, narrow]);
  });
});
