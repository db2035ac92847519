// What a CoreSight PMU model is built from: the device's configuration and the machine services it uses.
import type { Clock, IrqController } from '@cspmu/kernel';
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
