// The NVIDIA product table as Linux 6.12 has it: the longer SCF event list, no NVLink-C2C port filter, no generic filter2, and its filter rule.
import type { EventAttrSpec } from '@cspmu/arm-cspmu';
import { SCF_EVENTS } from './events.js';
import { GENERIC_PRODUCT, type NvProduct, PRODUCTS } from './products.js';

const ev = (name: string, code: number): EventAttrSpec => ({ name, event: BigInt(code) });
const perN = (prefix: string, suffix: string, base: number) => [0, 1, 2, 3].map((n) => ev(`${prefix}_${n}_${suffix}`, base + n));

/** The 171 SCF events 6.12 lists beyond the current ones (removed upstream as unsupported on Grace). */
export const SCF_EVENTS_6_12_EXTRA: readonly EventAttrSpec[] = [
  ...perN('socket', 'dl_rsp', 0x105),
  ...perN('socket', 'ev_rsp', 0x10d),
  ...perN('socket', 'prb_data', 0x111),
  ...perN('socket', 'dl_outstanding', 0x119),
  ...perN('socket', 'wb_outstanding', 0x11d),
  ...perN('socket', 'wr_outstanding', 0x121),
  ...perN('socket', 'ev_outstanding', 0x125),
  ...perN('socket', 'prb_outstanding', 0x129),
  ...perN('socket', 'dl_access', 0x131),
  ...perN('socket', 'ev_access', 0x13d),
  ...perN('socket', 'prb_access', 0x141),
  ...perN('ocu', 'gmem_rd_data', 0x145),
  ...perN('ocu', 'gmem_rd_access', 0x149),
  ...perN('ocu', 'gmem_wb_access', 0x14d),
  ...perN('ocu', 'gmem_rd_outstanding', 0x151),
  ...perN('ocu', 'gmem_wr_outstanding', 0x155),
  ...perN('ocu', 'rem_rd_data', 0x159),
  ...perN('ocu', 'rem_rd_access', 0x15d),
  ...perN('ocu', 'rem_wb_access', 0x161),
  ...perN('ocu', 'rem_rd_outstanding', 0x165),
  ...perN('ocu', 'rem_wr_outstanding', 0x169),
  ev('gmem_dl_rsp', 0x170),
  ev('gmem_dl_access', 0x171),
  ev('gmem_dl_outstanding', 0x172),
  ev('gmem_wb_outstanding', 0x175),
  ev('gmem_ev_rsp', 0x176),
  ev('gmem_ev_access', 0x177),
  ev('gmem_ev_outstanding', 0x178),
  ev('gmem_wr_outstanding', 0x17a),
  ...perN('ocu', 'gmem_wr_data', 0x180),
  ...perN('ocu', 'gmem_wb_data', 0x184),
  ...perN('ocu', 'gmem_wr_access', 0x188),
  ...perN('ocu', 'gmem_wb_outstanding', 0x18c),
  ...perN('ocu', 'rem_wr_data', 0x190),
  ...perN('ocu', 'rem_wb_data', 0x194),
  ...perN('ocu', 'rem_wr_access', 0x198),
  ...perN('ocu', 'rem_wb_outstanding', 0x19c),
  ev('cmem_dl_rsp', 0x1a8),
  ev('cmem_dl_access', 0x1a9),
  ev('cmem_dl_outstanding', 0x1aa),
  ev('cmem_wb_outstanding', 0x1ad),
  ev('cmem_ev_rsp', 0x1ae),
  ev('cmem_ev_access', 0x1af),
  ev('cmem_ev_outstanding', 0x1b0),
  ev('cmem_wr_outstanding', 0x1b2),
  ...perN('ocu', 'cmem_rd_data', 0x1b3),
  ...perN('ocu', 'cmem_rd_access', 0x1b7),
  ...perN('ocu', 'cmem_wb_access', 0x1bb),
  ...perN('ocu', 'cmem_rd_outstanding', 0x1bf),
  ...perN('ocu', 'cmem_wr_outstanding', 0x1c3),
  ev('ocu_prb_access', 0x1c7),
  ev('ocu_prb_data', 0x1c8),
  ev('ocu_prb_outstanding', 0x1c9),
  ...perN('ocu', 'cmem_wr_access', 0x1cb),
  ...perN('ocu', 'cmem_wb_data', 0x1cf),
  ...perN('ocu', 'cmem_wr_data', 0x1d3),
  ...perN('ocu', 'cmem_wb_outstanding', 0x1d7),
];

/** A product as 6.12 describes it. */
export function productOf612(product: number): NvProduct {
  const p = PRODUCTS.find((x) => x.product === product) ?? GENERIC_PRODUCT;
  if (p.product === 0x2cf) return { ...p, events: [...SCF_EVENTS, ...SCF_EVENTS_6_12_EXTRA] };
  // NVLink-C2C before port filtering: no `port` format, the filter always 0x3.
  if (p.product === 0x104 || p.product === 0x105) return { ...p, formats: p.formats.filter((f) => f.name !== 'port'), filterMask: 0 };
  if (p === GENERIC_PRODUCT) return { ...p, formats: p.formats.filter((f) => f.name !== 'filter2'), filter2Mask: 0 };
  return p;
}

/** 6.12's filter rule: a PMU without a filter mask always gets its default; otherwise config1 & mask, and 0 stays 0. */
export function filterValue612(config: bigint, mask: number, dflt: number): number {
  if (mask === 0) return dflt >>> 0;
  return (Number(config & 0xffffffffn) & mask) >>> 0;
}
