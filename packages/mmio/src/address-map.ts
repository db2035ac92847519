// The physical address map: page-aligned regions of device models, refusing overlaps with EEXIST.
import { kerr } from '@cspmu/kernel';
import { hex } from './bus-error.js';
import type { MmioDevice } from './device.js';

export const PAGE_SIZE = 0x1000;
export const PAGE_SHIFT = 12;

export interface Region {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
  readonly owner: string;
}

/**
 * The physical address map. Device models map register banks at 4 KiB
 * aligned bases; an overlap is refused with EEXIST naming both owners.
 */
export class AddressMap {
  private readonly pages = new Map<number, Region>();
  private readonly regions = new Set<Region>();

  map(base: number, size: number, device: MmioDevice, owner: string): Region {
    if (!Number.isSafeInteger(base) || base < 0 || base % PAGE_SIZE !== 0) {
      throw kerr('EINVAL', `${owner}: base ${hex(base)} must be a 4 KiB aligned physical address`);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw kerr('EINVAL', `${owner}: size ${hex(size)} must be a positive multiple of 4 KiB`);
    }
    const first = base / PAGE_SIZE;
    const count = size / PAGE_SIZE;
    for (let p = first; p < first + count; p++) {
      const other = this.pages.get(p);
      if (other) {
        throw kerr(
          'EEXIST',
          `${owner} at ${hex(base)}-${hex(base + size - 1)} overlaps ${other.owner} at ${hex(other.base)}-${hex(other.base + other.size - 1)}; give each device its own pages`,
        );
      }
    }
    const region: Region = { base, size, device, owner };
    for (let p = first; p < first + count; p++) this.pages.set(p, region);
    this.regions.add(region);
    return region;
  }

  unmap(region: Region): void {
    if (!this.regions.delete(region)) throw kerr('ENOENT', `${region.owner}: region at ${hex(region.base)} is not mapped`);
    const first = region.base / PAGE_SIZE;
    for (let p = first; p < first + region.size / PAGE_SIZE; p++) this.pages.delete(p);
  }

  /** The region holding `phys`, or undefined. */
  lookup(phys: number): Region | undefined {
    return this.pages.get(Math.floor(phys / PAGE_SIZE));
  }

  all(): readonly Region[] {
    return [...this.regions];
  }
}
