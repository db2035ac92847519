export * from './regs.js';
export * from './backend-api.js';
export * from './default-ops.js';
export * from './instance.js';
export * from './registry.js';
export * from './driver.js';
export * from './api.js';
export * from './sites.js';
import './lifecycle.js';
