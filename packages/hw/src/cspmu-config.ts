// What a CoreSight PMU model is built from: the device's configuration (and its checks) and the machine services it uses.
import { type Clock, type IrqController, kerr } from '@cspmu/kernel';
import type { CspmuLayouts } from './cspmu-layouts.js';
import type { PmuDevice } from './platform.js';
import type { Workload } from './workload.js';

/**
 * What the model needs of a platform device: identity, counter geometry,
 * page layout and clock. `accessLatencyNs` > 0 lets non-atomic 64-bit reads tear.
 */
export type CspmuModelConfig = Pick<
  PmuDevice,
  | 'label'
  | 'counters'
  | 'counterBits'
  | 'cycleCounter'
  | 'dualPage'
  | 'atomic64'
  | 'ext64'
  | 'fzo'
  | 'implementer'
  | 'product'
  | 'variant'
  | 'revision'
  | 'pmiidrZero'
  | 'clockHz'
  | 'accessLatencyNs'
>;

export interface CspmuModelDeps {
  readonly clock: Clock;
  readonly workload: Workload;
  readonly irqs?: IrqController;
  readonly irq?: number;
  /** The machine's shared register layouts (a private cache when absent). */
  readonly layouts?: CspmuLayouts;
}

/** Refuse a counter geometry the register map cannot lay out (EINVAL, naming the device and the field). */
export function checkModelConfig(c: CspmuModelConfig): void {
  const maxCounters = c.counterBits > 32 ? 128 : 256;
  if (!Number.isInteger(c.counters) || c.counters < 1 || c.counters > maxCounters) {
    throw kerr('EINVAL', `${c.label}: counters must be 1..${maxCounters} for ${c.counterBits}-bit counters, got ${c.counters}`);
  }
  if (!Number.isInteger(c.counterBits) || c.counterBits < 1 || c.counterBits > 64) {
    throw kerr('EINVAL', `${c.label}: counterBits must be 1..64, got ${c.counterBits}`);
  }
  if (c.cycleCounter && c.counters < 1) throw kerr('EINVAL', `${c.label}: a cycle counter needs at least one counter`);
  if (c.ext64 && c.counters > 128) throw kerr('EINVAL', `${c.label}: FEAT_CSPMU_EXT64 lays out at most 128 counters, got ${c.counters}`);
}
