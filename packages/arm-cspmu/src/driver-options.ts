// What the driver is configured with, and what it reports about each bound device.
import type { VersionOptions } from './profile.js';
import type { RegisterPolicy, UnregisterPolicy } from './registry.js';

export interface ArmCspmuOptions extends VersionOptions {
  /** After a backend unregisters: bind its devices to the generic fallback (default) or leave them unbound as upstream. */
  readonly unregisterPolicy?: UnregisterPolicy;
  /** When a backend registers while generic-bound matching devices have events: reprobe each once idle (default) or refuse with EBUSY, as a proposed upstream variant does. */
  readonly registerPolicy?: RegisterPolicy;
}

/** One bound device: its PMU, the backend driving it and that backend's module, open events, and whether a reprobe waits. */
export interface DeviceBinding {
  readonly device: string;
  readonly pmu: string;
  readonly backend: string;
  /** The backend's module; undefined when the core's generic ops drive the device. */
  readonly module: string | undefined;
  readonly events: number;
  readonly reprobePending: boolean;
}
