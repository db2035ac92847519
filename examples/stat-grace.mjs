// A perf stat on the Grace-like machine, programmatically: boot, count with @cspmu/perf-tool, print as perf does.
// Run: node examples/stat-grace.mjs   (after npm run build)
import { aggregate, runStat } from '@cspmu/perf-tool';
import { Machine } from '@cspmu/system';

const m = await Machine.boot({ platform: 'grace' });
const res = await runStat(m, {
  events: [
    'nvidia_scf_pmu_0/cmem_rd_data/,nvidia_scf_pmu_0/cmem_wr_data/,nvidia_scf_pmu_0/cycles/',
    'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x1/,nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x4/',
    '{nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_req_loc/},{nvidia_nvlink_c2c0_pmu_0/total_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_req_loc/}',
    'cmem_rd_data',
  ],
  target: { systemWide: true },
  durationNs: 20_000_000,
});
const run = res.runs[0];
const lines = aggregate(run.final, { mode: 'global', noMerge: false, topology: { socketOf: () => 0, nodeOf: () => 0 } });
console.log(`counted for ${run.wallNs / 1e6} ms of virtual time:`);
for (const l of lines) {
  const pct = l.ena ? (100 * l.run) / l.ena : 0;
  const value = l.status === 'counted' ? (l.unit ? `${l.value.toFixed(0)} ${l.unit}` : String(l.value)) : `<${l.status}>`;
  console.log(`  ${l.name.padEnd(44)} ${value.padStart(20)}${pct < 100 ? `  (${pct.toFixed(2)}% of the time on a counter)` : ''}`);
}
await m.shutdown();
