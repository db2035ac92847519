// The driver's perf callbacks push their own frames: each one that throws still leaves the call stack where its caller had it.

import { kerr } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

type Seen = [name: string, code: string | undefined, stack: string[]];

/** Run `call` inside a `stale_user` frame and note its errno (if it threw) and the call stack it left behind. */
function callStale(m: Machine, seen: Seen[], name: string, call: () => unknown): void {
  m.kernel.calls.run('stale_user', () => {
    let code: string | undefined;
    try {
      call();
    } catch (x) {
      code = (x as { code?: string }).code;
    }
    seen.push([name, code, m.kernel.calls.names()]);
  });
}

/** A Grace machine whose cache PMU counted one event and was then released: its instance and the event are stale. */
async function releasedCachePmu() {
  const m = await Machine.boot({ platform: 'grace', installed: [] });
  const inst = m.driver.instanceByName('arm_cspmu_cache_0')!;
  const [e] = m.open('arm_cspmu_cache_0/cycles/');
  const hw = { ...e!.hw };
  await m.perf.close(e!);
  await m.bus.deviceReleaseDriver(m.bus.device('arm-cs-arch-pmu.0')!);
  return { m, inst, e: e!, hw };
}

describe('Driver frames', () => {
  it('a perf callback that throws leaves the call stack where its caller had it', async () => {
    const { m, inst, e, hw } = await releasedCachePmu();
    // A stale pointer to the event as it was while it counted, used through the released instance: every register
    // access is refused (the mappings are gone) while the callback's frames are pushed.
    const calls: [string, () => unknown][] = [
      ['event_init', () => inst.eventInit({ ...e, attr: { ...e.attr, type: inst.type + 1 } } as never)],
      ['start', () => inst.start(e, 0)],
      ['stop', () => inst.stop(e, 0)],
      ['del', () => inst.del(e, 0)],
      ['enable', () => inst.pmuEnable()],
      ['disable', () => inst.pmuDisable()],
    ];
    const seen: Seen[] = [];
    for (const [name, call] of calls) {
      Object.assign(e.hw, hw, { state: name === 'stop' || name === 'del' ? 0 : hw.state });
      callStale(m, seen, name, call);
    }
    expect(seen).to.deep.equal([
      ['event_init', 'ENOENT', ['stale_user']],
      ['start', 'EFAULT', ['stale_user']],
      ['stop', 'EFAULT', ['stale_user']],
      ['del', 'EFAULT', ['stale_user']],
      ['enable', undefined, ['stale_user']],
      ['disable', 'EFAULT', ['stale_user']],
    ]);
    expect(m.kernel.calls.depth).to.equal(0);
  });

  it('an add that starts the counter and a pmu_enable with a counter in use, refused through a released instance, pop their frames', async () => {
    const { m, inst, e } = await releasedCachePmu();
    const seen: Seen[] = [];
    // add with PERF_EF_START programs the counter it takes (refused); pmu_enable then finds a counter in use.
    callStale(m, seen, 'add', () => inst.add(e, 1));
    callStale(m, seen, 'pmu_enable', () => inst.pmuEnable());
    expect(seen).to.deep.equal([
      ['add', 'EFAULT', ['stale_user']],
      ['pmu_enable', 'EFAULT', ['stale_user']],
    ]);
    expect(m.kernel.calls.depth).to.equal(0);
  });

  it('an event destroy whose reprobe hook throws pops its frame', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    const inst = m.driver.instanceByName('arm_cspmu_cache_0')!;
    const [e] = m.open('arm_cspmu_cache_0/cycles/');
    // The last event's destroy with a reprobe waiting calls the hook; one that throws must not leave the destroy's frame behind.
    const hooked = inst as unknown as { reprobePending: boolean; onIdle: () => never };
    hooked.reprobePending = true;
    hooked.onIdle = () => {
      throw kerr('EIO', 'the reprobe could not be queued');
    };
    const seen: Seen[] = [];
    callStale(m, seen, 'destroy', () => inst.destroy(e!));
    expect(seen).to.deep.equal([['destroy', 'EIO', ['stale_user']]]);
    expect(m.kernel.calls.depth).to.equal(0);
  });
});
