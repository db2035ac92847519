// The NVIDIA product table: for each PMIIDR product id, its PMU name, events, formats and filter rules.
import type { EventAttrSpec, FormatAttrSpec } from '@cspmu/arm-cspmu';
import { GENERIC_EVENTS, MCF_EVENTS, SCF_EVENTS } from './events.js';

/** One row of the NVIDIA product table (the Grace-era one: product id compared exactly). */
export interface NvProduct {
  readonly product: number | undefined;
  /** Name prefix; the socket is appended. */
  readonly name: string;
  readonly events: readonly EventAttrSpec[];
  readonly formats: readonly FormatAttrSpec[];
  /** config1 bits that select ports; 0 means the PMU has no filter. */
  readonly filterMask: number;
  /** What an empty filter means: all ports. */
  readonly filterDefault: number;
  readonly filter2Mask: number;
  readonly filter2Default: number;
}

const EVENT: FormatAttrSpec = { name: 'event', format: 'config:0-32' };

export const PRODUCTS: readonly NvProduct[] = [
  {
    product: 0x103,
    name: 'nvidia_pcie_pmu',
    events: MCF_EVENTS,
    formats: [EVENT, { name: 'root_port', format: 'config1:0-9' }],
    filterMask: 0x3ff,
    filterDefault: 0x3ff,
    filter2Mask: 0,
    filter2Default: 0,
  },
  {
    product: 0x104,
    name: 'nvidia_nvlink_c2c1_pmu',
    events: MCF_EVENTS,
    formats: [EVENT, { name: 'port', format: 'config1:0-1' }],
    filterMask: 0x3,
    filterDefault: 0x3,
    filter2Mask: 0,
    filter2Default: 0,
  },
  {
    product: 0x105,
    name: 'nvidia_nvlink_c2c0_pmu',
    events: MCF_EVENTS,
    formats: [EVENT, { name: 'port', format: 'config1:0-1' }],
    filterMask: 0x3,
    filterDefault: 0x3,
    filter2Mask: 0,
    filter2Default: 0,
  },
  {
    product: 0x106,
    name: 'nvidia_cnvlink_pmu',
    events: MCF_EVENTS,
    formats: [EVENT, { name: 'rem_socket', format: 'config1:0-3' }],
    filterMask: 0xf,
    filterDefault: 0xf,
    filter2Mask: 0,
    filter2Default: 0,
  },
  {
    product: 0x2cf,
    name: 'nvidia_scf_pmu',
    events: SCF_EVENTS,
    formats: [EVENT],
    filterMask: 0,
    filterDefault: 0,
    filter2Mask: 0,
    filter2Default: 0,
  },
];

/** Anything else from NVIDIA: `nvidia_uncore_pmu_<n>` with the generic filters. */
export const GENERIC_PRODUCT: NvProduct = {
  product: undefined,
  name: 'nvidia_uncore_pmu',
  events: GENERIC_EVENTS,
  formats: [EVENT, { name: 'filter', format: 'config1:0-31' }, { name: 'filter2', format: 'config2:0-31' }],
  filterMask: 0xffffffff,
  filterDefault: 0xffffffff,
  filter2Mask: 0xffffffff,
  filter2Default: 0xffffffff,
};

/** The product table's row for a PMIIDR product id (the generic row for unknown ones). */
export function productOf(product: number): NvProduct {
  return PRODUCTS.find((p) => p.product === product) ?? GENERIC_PRODUCT;
}

/**
 * An empty filter means the default (all ports); otherwise the bits within
 * the mask. A product without filter bits (mask 0) always gets its default
 * without a look at config: set_ev_filter asks on every pmu->start, and `&`
 * on a bigint makes a new one.
 */
export function filterValue(config: bigint, mask: number, dflt: number): number {
  const f = mask === 0 || config === 0n ? 0 : Number(config & 0xffffffffn) & mask;
  return (f === 0 ? dflt : f) >>> 0;
}
