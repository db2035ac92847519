// Mapping a CoreSight PMU model's register pages into an address map: both pages, or neither.
import { kerr } from '@cspmu/kernel';
import type { AddressMap, Region, RegisterBank } from '@cspmu/mmio';

/** Map page 0 (and page 1, if the PMU has one) at their physical bases; returns the regions mapped, and maps nothing if either fails. */
export function attachPages(
  map: AddressMap,
  owner: string,
  dualPage: boolean,
  [page0, base0]: readonly [RegisterBank, number],
  second: readonly [RegisterBank, number | undefined] | undefined,
): Region[] {
  if (dualPage && second?.[1] === undefined) throw kerr('EINVAL', `${owner}: a dual-page PMU needs a page-1 base`);
  const r0 = map.map(base0, 0x1000, page0, `${owner} page 0`);
  if (second === undefined) return [r0];
  try {
    return [r0, map.map(second[1]!, 0x1000, second[0], `${owner} page 1`)];
  } catch (e) {
    map.unmap(r0);
    throw e;
  }
}
