// The public entry of @cspmu/hw: APMT, platforms, workloads, built-ins and the CoreSight PMU model.
export * from './apmt.js';
export * from './apmt-check.js';
export * from './builtins.js';
export * from './builtins-grace.js';
export * from './cspmu-layouts.js';
export * from './cspmu-model.js';
export * from './cspmu-regs.js';
export * from './hardware.js';
export * from './platform.js';
export * from './pmu-cap.js';
export * from './rate-function.js';
export * from './schema.js';
export * from './schemas.js';
export { type StormCycles, stormCycles } from './storm-cycles.js';
export * from './workload.js';
