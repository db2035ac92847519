// What this backend needs from outside @cspmu/arm-cspmu: errors and event types only.
export { kerr } from '@cspmu/kernel';
export type { ModuleDescriptor } from '@cspmu/kernel';
export type { PerfEvent } from '@cspmu/arm-cspmu';
