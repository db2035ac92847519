// Tests that add and pmu_enable, when they throw, also leave the call stack where their caller had it (driver-frames.spec covers the other callbacks).
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

describe('Driver frames: add and pmu_enable', () => {
  it('an add that starts the counter and a pmu_enable with a counter in use, refused through a released instance, pop their frames', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const inst = m.driver.instanceByName('arm_cspmu_cache_0')!;
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    await m.perf.close(e!);
    await m.bus.deviceReleaseDriver(m.bus.device('arm-cs-arch-pmu.0')!);
    const seen: [string, string | undefined, string[]][] = [];
    const stale = (name: string, call: () => unknown) =>
      m.kernel.calls.run('stale_user', () => {
        let code: string | undefined;
        try {
          call();
        } catch (x) {
          code = (x as { code?: string }).code;
        }
        seen.push([name, code, m.kernel.calls.names()]);
      });
    // add with PERF_EF_START programs the counter it takes (refused); pmu_enable then finds a counter in use.
    stale('add', () => inst.add(e!, 1));
    stale('pmu_enable', () => inst.pmuEnable());
    expect(seen).to.deep.equal([
      ['add', 'EFAULT', ['stale_user']],
      ['pmu_enable', 'EFAULT', ['stale_user']],
    ]);
    expect(m.kernel.calls.depth).to.equal(0);
  });
});
