// The backend API of @cspmu/arm-cspmu: everything a vendor backend is written against, from this one entry.
// The driver, its registry and instances are behind '@cspmu/arm-cspmu/driver', which only the machine imports.
export type { ApmtInfo, BackendDefinition, BackendMatch, BackendOps, CspmuInstance, EventAttrSpec, FormatAttrSpec, HwPerfEvent, PerfEvent } from './backend-api.js';
export { ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE, GENERIC_BACKEND_NAME, defineBackend, defineBackendModule, registerBackend, type BackendModuleSpec } from './api.js';
export { formatField, type FormatField } from './format-field.js';
export { CYCLES_ATTR, GENERIC_FORMATS } from './generic.js';
export * from './regs.js';
export { KernelError, kerr, type ErrnoName, type KernelVersion } from '@cspmu/kernel';
