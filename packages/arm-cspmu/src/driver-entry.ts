// The driver side of @cspmu/arm-cspmu, for the machine that hosts it (@cspmu/system): the platform driver, the backend registry, instances and their call sites. Backends never import this.
export { ARM_CSPMU_TOKENS, type BackendHost } from './api.js';
export { ArmCspmuDriver, DRIVER_NAME, type ArmCspmuOptions, type DeviceBinding } from './driver.js';
export { ArmCspmu, type ProbedHardware } from './instance.js';
export { Binding } from './binding.js';
export { ImplRegistry, CLAIM_SUBSYSTEM, checkClaim, claimMatches, matchToPmiidr, type ImplLookup, type RegisterPolicy, type RegisteredBackend, type UnregisterPolicy } from './registry.js';
export { BACKEND_CALL_SITES, type BackendCallSites } from './sites.js';
export { defaultOps, genericName, genericName612, mergeOps } from './default-ops.js';
export { driverProfile, parseProposals, pmuName, PROPOSALS, type DriverProfile, type Proposal, type VersionOptions } from './profile.js';
export { CounterMap, decodePmcfgr, type CounterGeometry } from './counter-map.js';
import './lifecycle.js';
