// Tests the exact MMIO sequence of a stat of the cycle event, as the kernel driver makes it: the cycle filter's write sits in its own frame, and the writes after it are start's again.
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

describe('Tracing: rwmmio, the cycle event', () => {
  it('prints the exact sequence of a stat of the cycle event, each write under the function that makes it', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [] });
    m.kernel.trace.enable('rwmmio:rwmmio_read');
    m.kernel.trace.enable('rwmmio:rwmmio_write');
    const [c] = m.open('arm_cspmu_cache_0/cycles/');
    m.advance(1000);
    m.perf.read(c!);
    await m.perf.close(c!);
    const p0 = (o: number) => `0xffff80008000${o.toString(16).padStart(4, '0')}`;
    const p1 = (o: number) => `0xffff80008001${o.toString(16).padStart(4, '0')}`;
    // The cycle counter is counter 31 (page 1 at 0xf8); start writes its period, then PMCCFILTR through set_cc_filter, then enables it.
    expect(m.kernel.trace.peek().map((l) => l.text)).to.deep.equal([
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_start -> arm_cspmu_write_counter width=64 val=0x7fffffffffffffff addr=${p1(0xf8)}`,
      `arm_cspmu_start -> arm_cspmu_set_cc_filter width=32 val=0 addr=${p0(0x47c)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x80000000 addr=${p0(0xc40)}`,
      `arm_cspmu_add -> arm_cspmu_start width=32 val=0x80000000 addr=${p0(0xc00)}`,
      `perf_pmu_enable -> arm_cspmu_enable width=32 val=0x1 addr=${p0(0xe04)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0xf8)}`,
      `perf_pmu_disable -> arm_cspmu_disable width=32 val=0 addr=${p0(0xe04)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x80000000 addr=${p0(0xc20)}`,
      `arm_cspmu_del -> arm_cspmu_stop width=32 val=0x80000000 addr=${p0(0xc60)}`,
      `arm_cspmu_event_update -> arm_cspmu_read_counter width=64 addr=${p1(0xf8)}`,
    ]);
  });
});
