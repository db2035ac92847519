export * from './device.js';
export * from './bus-error.js';
export * from './address-map.js';
export * from './register-bank.js';
export * from './rwmmio.js';
export * from './iomem.js';
export * from './bus.js';
