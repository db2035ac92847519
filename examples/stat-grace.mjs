// A perf stat on the Grace-like machine, programmatically: boot, count, print like perf.
// Run: node examples/stat-grace.mjs   (after npm run build)
import { printHuman, runStat } from '@cspmu/cli';
import { Machine } from '@cspmu/system';

const m = await Machine.boot({ platform: 'grace' });
const res = await runStat(m, {
  events: [
    'nvidia_scf_pmu_0/cmem_rd_data/,nvidia_scf_pmu_0/cmem_wr_data/,nvidia_scf_pmu_0/cycles/',
    'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x1/,nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x4/',
    '{nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_req_loc/},{nvidia_nvlink_c2c0_pmu_0/total_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_req_loc/}',
  ],
  systemWide: true,
  durationNs: 20_000_000,
});
printHuman(res, (line) => console.log(line));
await m.shutdown();
