// The platform driver interface the bus binds devices to.
import type { Device } from './device.js';

/** A platform driver. `probe` throws a KernelError to fail (EPROBE_DEFER to defer). */
export interface Driver {
  readonly name: string;
  /** Device names (before the `.id`) this driver takes, besides its own name. */
  readonly idTable?: readonly string[];
  probe(dev: Device): Promise<void>;
  remove?(dev: Device): Promise<void> | void;
}
