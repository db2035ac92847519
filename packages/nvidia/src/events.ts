// The NVIDIA event lists: SCF, MCF (PCIe, NVLink-C2C, CNVLink) and the generic PMU's cycles.
import { CYCLES_EVENT, type EventAttrSpec } from '@cspmu/arm-cspmu';

const ev = (name: string, code: number): EventAttrSpec => {
  // Beyond upstream: units, so perf stat prints bandwidth without hand scaling.
  if (name.endsWith('_data')) return { name, event: BigInt(code), scale: 32, unit: 'Bytes' };
  if (name.includes('bytes')) return { name, event: BigInt(code), unit: 'Bytes' };
  return { name, event: BigInt(code) };
};

const perSocket = (suffix: string, base: number): EventAttrSpec[] => [0, 1, 2, 3].map((n) => ev(`socket_${n}_${suffix}`, base + n));

export const CYCLES: EventAttrSpec = { name: 'cycles', event: CYCLES_EVENT, description: 'PMU clock cycles' };

/** SCF events of current upstream (after "remove unsupported SCF events"). */
export const SCF_EVENTS: readonly EventAttrSpec[] = [
  ev('bus_cycles', 0x1d),
  ev('scf_cache_allocate', 0xf0),
  ev('scf_cache_refill', 0xf1),
  ev('scf_cache', 0xf2),
  ev('scf_cache_wb', 0xf3),
  ...perSocket('rd_data', 0x101),
  ...perSocket('wb_data', 0x109),
  ...perSocket('rd_outstanding', 0x115),
  ...perSocket('rd_access', 0x12d),
  ...perSocket('wb_access', 0x135),
  ...perSocket('wr_access', 0x139),
  ev('gmem_rd_data', 0x16d),
  ev('gmem_rd_access', 0x16e),
  ev('gmem_rd_outstanding', 0x16f),
  ev('gmem_wb_data', 0x173),
  ev('gmem_wb_access', 0x174),
  ev('gmem_wr_data', 0x179),
  ev('gmem_wr_access', 0x17b),
  ...perSocket('wr_data', 0x17c),
  ev('gmem_wr_total_bytes', 0x1a0),
  ev('remote_socket_wr_total_bytes', 0x1a1),
  ev('remote_socket_rd_data', 0x1a2),
  ev('remote_socket_rd_outstanding', 0x1a3),
  ev('remote_socket_rd_access', 0x1a4),
  ev('cmem_rd_data', 0x1a5),
  ev('cmem_rd_access', 0x1a6),
  ev('cmem_rd_outstanding', 0x1a7),
  ev('cmem_wb_data', 0x1ab),
  ev('cmem_wb_access', 0x1ac),
  ev('cmem_wr_data', 0x1b1),
  ev('cmem_wr_access', 0x1ca),
  ev('cmem_wr_total_bytes', 0x1db),
  CYCLES,
];

/** MCF events, shared by PCIe, NVLink-C2C0/1 and CNVLink. */
export const MCF_EVENTS: readonly EventAttrSpec[] = [
  ev('rd_bytes_loc', 0x0),
  ev('rd_bytes_rem', 0x1),
  ev('wr_bytes_loc', 0x2),
  ev('wr_bytes_rem', 0x3),
  ev('total_bytes_loc', 0x4),
  ev('total_bytes_rem', 0x5),
  ev('rd_req_loc', 0x6),
  ev('rd_req_rem', 0x7),
  ev('wr_req_loc', 0x8),
  ev('wr_req_rem', 0x9),
  ev('total_req_loc', 0xa),
  ev('total_req_rem', 0xb),
  ev('rd_cum_outs_loc', 0xc),
  ev('rd_cum_outs_rem', 0xd),
  CYCLES,
];

export const GENERIC_EVENTS: readonly EventAttrSpec[] = [CYCLES];
