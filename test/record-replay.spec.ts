// Tests of MMIO record and replay: a recording replayed against fresh device models, and the first divergence of a driver from one.
import { defineBackend } from '@cspmu/arm-cspmu';
import { describeDivergence, firstDivergence, MmioRecorder, replayWrites } from '@cspmu/mmio';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { loadBuiltinBackend } from './helpers/machine.js';

describe('Tracing: record and replay', function () {
  this.timeout(60000);

  async function scenario(m: Machine): Promise<ReturnType<MmioRecorder['stop']>> {
    const rec = new MmioRecorder(m.mmio, () => m.clock.now()).start();
    const evs = m.open('arm_cspmu_pcie_0/event=0x0,filter=0x5/,arm_cspmu_cache_0/event=0x1a5/');
    m.advance(2500);
    for (const e of evs) m.perf.read(e);
    for (const e of evs) await m.perf.close(e);
    return rec.stop();
  }

  it('replays a recording against fresh device models with identical reads', async () => {
    const recording = await scenario(await Machine.boot({ platform: 'grace', installed: [] }));
    expect(JSON.parse(JSON.stringify(recording))).to.deep.equal(recording);
    const fresh = await Machine.boot({ platform: 'grace', installed: [] });
    const r = replayWrites(recording, fresh.mmio, (t) => fresh.clock.advanceTo(Math.max(t, fresh.clock.now())));
    expect(r.writes).to.equal(recording.accesses.filter((a) => a.op === 'W').length);
    expect(r.mismatchedReads).to.deep.equal([]);
  });

  it('finds the first divergence of a driver from a recorded sequence', async () => {
    const recording = await scenario(await Machine.boot({ platform: 'grace', installed: [] }));
    expect(firstDivergence(recording, await scenario(await Machine.boot({ platform: 'grace', installed: [] })))).to.equal(undefined);
    const buggy = await Machine.boot({ platform: 'grace', installed: [] });
    await loadBuiltinBackend(
      buggy,
      defineBackend({
        name: 'buggy_cspmu',
        match: { implementer: 0x36b, product: 0x103 },
        init: () => ({
          getName: () => 'arm_cspmu_pcie_0',
          setEvFilter: (i, e) => {
            i.writeEvFilter(e, 0x4);
            i.writeEvFilter2(e, 0);
          },
        }),
      }),
    );
    const d = firstDivergence(recording, await scenario(buggy));
    // PMCR, the counter's two halves, PMEVTYPER, then the filter.
    expect(d?.index).to.equal(4);
    expect(describeDivergence(d!)).to.equal('access 4: value 0x5 expected, 0x4 written (expected W32 0x1000040a00 = 0x5, got W32 0x1000040a00 = 0x4)');
  });
});
