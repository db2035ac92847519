// The public entry of @cspmu/perf: the kernel-side perf core, its events, contexts, PMU interface and registrations.
export * from './attr.js';
export * from './constants.js';
export * from './context.js';
export * from './core.js';
export * from './event.js';
export type { OpenOptions } from './open-checks.js';
export * from './pmu.js';
export * from './registration.js';
export * from './sites.js';
export * from './software-pmu.js';

import './lifecycle.js';
