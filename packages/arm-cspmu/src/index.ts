// The backend API of @cspmu/arm-cspmu: everything a vendor backend is written against, from this one entry.
// The driver, its registry and instances are behind '@cspmu/arm-cspmu/driver', which only the machine imports.

export { type ErrnoName, KernelError, type KernelVersion, kerr } from '@cspmu/kernel';
export {
  ARM_CSPMU_API_VERSION,
  ARM_CSPMU_MODULE,
  type BackendModuleSpec,
  defineBackend,
  defineBackendModule,
  GENERIC_BACKEND_NAME,
  registerBackend,
} from './api.js';
export type {
  ApmtInfo,
  BackendDefinition,
  BackendMatch,
  BackendOps,
  CspmuInstance,
  EventAttrSpec,
  FormatAttrSpec,
  HwPerfEvent,
  PerfEvent,
} from './backend-api.js';
export { type FormatField, formatField } from './format-field.js';
export { CYCLES_ATTR, GENERIC_FORMATS } from './generic.js';
export * from './regs.js';
