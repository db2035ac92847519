export * from './devres.js';
export * from './device.js';
export * from './driver.js';
export * from './bus.js';
