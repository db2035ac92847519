// Filters change counts: each Ampere and NVIDIA filter moves a count by exactly what the workload models, and a backend that programs a filter wrongly counts wrongly.
import { type CspmuInstance, defineBackend, formatField, type PerfEvent, PMEVFILT2R, PMEVFILTR, PMIMPDEF } from '@cspmu/arm-cspmu';
import { GRACE_PLATFORM, GRACE_STREAM_WORKLOAD, type StreamSpec, type WorkloadSpec } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { ampereBackend, filterOf } from 'cspmu-ampere-backend';
import { loadBuiltinBackend, MS } from './helpers/machine.js';

/** Open each event alone-or-together, run 1 ms of virtual time, and read every count. */
async function countsOver1ms(m: Machine, events: string[]): Promise<number[]> {
  const evs = events.map((e) => m.open(e)[0]!);
  m.advance(MS);
  const out = evs.map((e) => {
    const r = m.perf.read(e);
    expect(r.timeRunning, `${e} ran the whole millisecond`).to.equal(MS);
    return r.value;
  });
  await m.close(evs);
  return out;
}

describe('Filters change counts by the modelled amount', function () {
  this.timeout(60000);

  describe('Ampere (examples/ampere-backend, workload ampere-dram)', () => {
    // ampere-dram: rd_sent 8e8/s over ranks 60/40 and eight equal banks; queue_fill_gt_thresh 1.5e9/s less a tenth per threshold step.
    const CASES: [string, number][] = [
      ['rd_sent', 800_000],
      ['rd_sent,rank=0x1', 480_000],
      ['rd_sent,rank=0x2', 320_000],
      ['rd_sent,bank=0x1', 100_000],
      ['rd_sent,bank=0x81', 200_000],
      ['rd_sent,rank=0x1,bank=0x3', 120_000],
      ['rd_sent,rank=0x4', 0],
      ['queue_fill_gt_thresh', 1_500_000],
      ['queue_fill_gt_thresh,threshold=2', 1_200_000],
      ['queue_fill_gt_thresh,threshold=9', 150_000],
      ['queue_fill_gt_thresh,threshold=10', 0],
    ];

    it('each threshold, rank and bank value gives the count the workload models', async () => {
      const m = await Machine.boot({ platform: 'ampereone' });
      // The filters are per PMU: one setting per MCU PMU at a time, eight PMUs side by side.
      for (let i = 0; i < CASES.length; i += 8) {
        const batch = CASES.slice(i, i + 8);
        const got = await countsOver1ms(
          m,
          batch.map(([ev], k) => `ampere_mcu_pmu_${k}/${ev}/`),
        );
        expect(got).to.deep.equal(batch.map(([, n]) => n));
      }
      await m.shutdown();
    });

    it('changing a filter between runs of one event on one PMU changes its count by exactly the difference', async () => {
      const m = await Machine.boot({ platform: 'ampereone' });
      const run = async (ev: string) => (await countsOver1ms(m, [`ampere_mcu_pmu_3/${ev}/`]))[0]!;
      expect(await run('rd_sent,rank=0x3')).to.equal(800_000);
      expect(await run('rd_sent,rank=0x1')).to.equal(800_000 - 320_000);
      expect(await run('rd_sent,rank=0x1,bank=0x1')).to.equal(480_000 / 8);
      expect(await run('queue_fill_gt_thresh,threshold=1')).to.equal(1_350_000);
      await m.shutdown();
    });

    it('a backend that writes rank and bank into each other’s PMAUXR counts wrongly', async () => {
      const m = await Machine.boot({ platform: 'ampereone' });
      await m.unload('ampere_cspmu');
      const swapped = defineBackend({
        name: 'swapped_ampere',
        match: { implementer: 0xa16 },
        init(inst) {
          const ops = ampereBackend.init(inst);
          return {
            ...ops,
            setEvFilter: (i: CspmuInstance, e: PerfEvent) => {
              const f = filterOf(e);
              i.base0.writel(f.threshold, PMIMPDEF);
              i.base0.writel(f.bank, PMIMPDEF + 4);
              i.base0.writel(f.rank, PMIMPDEF + 8);
            },
          };
        },
      });
      await loadBuiltinBackend(m, swapped);
      const name = m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.0')!.pmu;
      // rank=0x1 should count rank 0 (480000); written as a bank filter it counts bank 0 of every rank.
      expect(await countsOver1ms(m, [`${name}/rd_sent,rank=0x1/`])).to.deep.equal([100_000]);
      await m.shutdown();
    });
  });

  describe('NVIDIA (workload grace-stream, plus a generic NVIDIA PMU)', () => {
    /** Grace with one more NVIDIA PMU of an unknown product (nvidia_uncore_pmu_0, formats filter and filter2). */
    function graceWithGeneric(): { platform: object; workload: WorkloadSpec } {
      const platform = JSON.parse(JSON.stringify(GRACE_PLATFORM));
      platform.pmus.push({ ...platform.pmus[4], label: 'odd0', id: 41, product: '0x999', base0: '0x1000060000', irq: { gsi: 0x2f1, trigger: 'level' } });
      const extra: StreamSpec[] = [
        { pmu: 'odd0', event: 3, bits: { field: 'filter:0-3', rates: [1e6, 2e6, 4e6, 8e6] } },
        { pmu: 'odd0', event: 4, bits: { field: 'filter2:0-1', rates: [3e6, 5e6] } },
        { pmu: 'odd0', event: 'cycles', values: { field: 'filter', rates: { '0xffffffff': 1e9 }, otherwise: 2.5e8 } },
      ];
      const workload = { ...GRACE_STREAM_WORKLOAD, phases: GRACE_STREAM_WORKLOAD.phases.map((p) => ({ ...p, streams: [...p.streams, ...extra] })) };
      return { platform, workload };
    }

    it('root_port, port, rem_socket, filter, filter2 and the cycle filter each give the modelled count (7.3)', async () => {
      const { platform, workload } = graceWithGeneric();
      const m = await Machine.boot({ platform: platform as never, workload });
      expect(m.clock.now()).to.be.below(4 * MS); // inside grace-stream's first (read-heavy) phase
      // PCIe socket 0 reads 4, 8 and 2 GB/s on root ports 0, 2 and 9; unset means all ten ports.
      expect(
        await countsOver1ms(m, [
          'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x1/',
          'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x204/',
          'nvidia_pcie_pmu_0/rd_bytes_loc/',
          'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x2/',
        ]),
      ).to.deep.equal([4_000_000, 10_000_000, 14_000_000, 0]);
      // NVLink-C2C0 socket 0 reads 120 and 100 GB/s on its two ports.
      expect(
        await countsOver1ms(m, [
          'nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc,port=0x1/',
          'nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc,port=0x2/',
          'nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/',
        ]),
      ).to.deep.equal([120_000_000, 100_000_000, 220_000_000]);
      // CNVLink socket 0 reads 10 and 5 GB/s from remote sockets 0 and 1.
      expect(
        await countsOver1ms(m, [
          'nvidia_cnvlink_pmu_0/rd_bytes_rem,rem_socket=0x1/',
          'nvidia_cnvlink_pmu_0/rd_bytes_rem,rem_socket=0x2/',
          'nvidia_cnvlink_pmu_0/rd_bytes_rem/',
        ]),
      ).to.deep.equal([10_000_000, 5_000_000, 15_000_000]);
      // The generic NVIDIA PMU: filter on event 3, filter2 on event 4, PMCCFILTR on the cycle counter; unset is all ones.
      expect(
        await countsOver1ms(m, [
          'nvidia_uncore_pmu_0/event=0x3,filter=0x5/',
          'nvidia_uncore_pmu_0/event=0x3/',
          'nvidia_uncore_pmu_0/event=0x4,filter2=0x2/',
          'nvidia_uncore_pmu_0/event=0x4,filter=0x1/',
          'nvidia_uncore_pmu_0/cycles,filter=0x1/',
        ]),
      ).to.deep.equal([5_000, 15_000, 5_000, 8_000, 250_000]);
      expect(await countsOver1ms(m, ['nvidia_uncore_pmu_0/cycles/'])).to.deep.equal([1_000_000]);
      await m.shutdown();
    });

    it('6.12 (no filter2, unset filters written 0): the same events count what those registers select', async () => {
      const { platform, workload } = graceWithGeneric();
      const m = await Machine.boot({ platform: platform as never, workload, kernelVersion: '6.12' });
      expect(
        await countsOver1ms(m, [
          'nvidia_pcie_pmu_0/rd_bytes_loc/',
          'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x4/',
          'nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/',
          'nvidia_uncore_pmu_0/event=0x3,filter=0x5/',
          'nvidia_uncore_pmu_0/event=0x4,filter=0x1/',
        ]),
      ).to.deep.equal([0, 8_000_000, 220_000_000, 5_000, 0]);
      await m.shutdown();
    });

    for (const [what, writeFilter, expected] of [
      ['to the next counter’s PMEVFILTR', (i: CspmuInstance, e: PerfEvent, v: number) => i.base0.writel(v, PMEVFILTR + 4 * (e.hw.idx + 1)), [0, 1_000]],
      ['to PMEVFILT2R instead of PMEVFILTR', (i: CspmuInstance, e: PerfEvent, v: number) => i.base0.writel(v, PMEVFILT2R + 4 * e.hw.idx), [0, 0]],
    ] as const) {
      it(`a backend that writes the filter ${what} counts wrongly`, async () => {
        const { platform, workload } = graceWithGeneric();
        const m = await Machine.boot({ platform: platform as never, workload });
        await m.unload('nvidia_cspmu');
        const FILTER = formatField('filter', 'config1:0-31');
        const wrong = defineBackend({
          name: 'wrong_filter',
          match: { implementer: 0x36b },
          init: (inst) => ({
            getName: () => inst.uniqueName(`wrong_pmu_${inst.nameIndex('wrong_pmu')}`),
            getFormatAttrs: () => [formatField('event', 'config:0-32'), FILTER],
            setEvFilter: (i, e) => writeFilter(i, e, Number(FILTER.value(e))),
          }),
        });
        await loadBuiltinBackend(m, wrong);
        const name = m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.41')!.pmu;
        const got = await countsOver1ms(m, [`${name}/event=0x3,filter=0x1/`, `${name}/event=0x3,filter=0x4/`]);
        expect(got).to.deep.equal([...expected]);
        expect(got).to.not.deep.equal([1_000, 4_000]); // what nvidia_cspmu counts for these two
        await m.shutdown();
      });
    }
  });
});
