// Tearing of non-atomic 64-bit counters: the bus takes time, a naive hi/lo read tears, hi-lo-hi retries and does not.

import type { InjectedHazard } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { FUZZ_TEARING_PMU, fuzzPlatform } from '@cspmu/testkit';
import { expect } from 'chai';

const TWO32 = 2 ** 32;
/** What the driver preloads a 64-bit counter with: half its range, 2^63 - 1. */
const PRELOAD = 0x7fffffffffffffffn;

/** Boot the fuzz machine with 2 ns of bus latency, open event 0x1 (1/ns) on its non-atomic 64-bit PMU, and park the counter 1 ns before a carry. */
async function atTheCarry(inject: InjectedHazard[]) {
  const m = await Machine.boot({ platform: fuzzPlatform(2), installed: [], inject });
  const label = m.platform.pmus.find((p) => p.label === FUZZ_TEARING_PMU)!;
  const pmu = m.driver.bindings().find((b) => b.device === `arm-cs-arch-pmu.${label.id}`)!.pmu;
  const [e] = m.open(`${pmu}/event=0x1/`);
  m.advance(1000);
  const lo = Number(m.hardware.byId.get(label.id)!.counterValue(e!.hw.idx) & 0xffffffffn);
  m.advance(TWO32 - lo - 1);
  const reads: string[] = [];
  const inst = m.driver.instanceByName(pmu)!;
  const stop = m.mmio.observe({
    onAccess: (io, off, _w, write, value) => {
      if (io === inst.base1 && !write && off < 0x10) reads.push(`R 0x${off.toString(16)} = 0x${value.toString(16)}`);
    },
  });
  const retries = m.mmio.hiLoHiRetries;
  const r = m.perf.read(e!);
  stop();
  return { m, r, reads, retries: m.mmio.hiLoHiRetries - retries };
}

describe('Tearing of non-atomic 64-bit counters', () => {
  it('hi-lo-hi sees the high word change across the carry, reads again, and counts exactly', async () => {
    const { r, reads, retries } = await atTheCarry([]);
    // The 64-bit preload is 2^63 - 1: the high word is 0x8000_0000 after the first carry, 0x8000_0001 after the second.
    expect(reads).to.deep.equal(['R 0x4 = 0x80000000', 'R 0x0 = 0x1', 'R 0x4 = 0x80000001', 'R 0x4 = 0x80000001', 'R 0x0 = 0x7', 'R 0x4 = 0x80000001']);
    expect(retries).to.equal(1);
    // Exactly the last consistent reading less the preload; within a few bus latencies of the running time.
    expect(r.value).to.equal(Number(0x8000000100000007n - PRELOAD));
    expect(Math.abs(r.value - r.timeRunning)).to.be.at.most(16);
  });

  it('tears with the injected naive read (no-hilohi): the count falls 2^32 short', async () => {
    const { r, reads, retries } = await atTheCarry(['no-hilohi']);
    expect(reads).to.deep.equal(['R 0x4 = 0x80000000', 'R 0x0 = 0x1']);
    expect(retries).to.equal(0);
    // The high word from before the carry with the low word from after it: 2^32 short of the running time.
    expect(r.value).to.equal(Number(0x8000000000000001n - PRELOAD));
    expect(r.timeRunning - r.value).to.be.at.least(TWO32 - 16);
  });
});
