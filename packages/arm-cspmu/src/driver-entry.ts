// The driver side of @cspmu/arm-cspmu, for the machine that hosts it (@cspmu/system): the platform driver, the backend registry, instances and their call sites. Backends never import this.
export { ARM_CSPMU_TOKENS, type BackendHost } from './api.js';
export { Binding } from './binding.js';
export { type CounterGeometry, CounterMap, decodePmcfgr } from './counter-map.js';
export { defaultOps, genericName, genericName612, mergeOps } from './default-ops.js';
export { ArmCspmuDriver, type ArmCspmuOptions, type DeviceBinding, DRIVER_NAME } from './driver.js';
export { ArmCspmu, type ProbedHardware } from './instance.js';
export { type DriverProfile, driverProfile, PROPOSALS, type Proposal, parseProposals, pmuName, type VersionOptions } from './profile.js';
export {
  CLAIM_SUBSYSTEM,
  checkClaim,
  claimMatches,
  type ImplLookup,
  ImplRegistry,
  matchToPmiidr,
  type RegisteredBackend,
  type RegisterPolicy,
  type UnregisterPolicy,
} from './registry.js';
export { BACKEND_CALL_SITES, type BackendCallSites } from './sites.js';

import './lifecycle.js';
