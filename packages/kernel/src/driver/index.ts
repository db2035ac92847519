export * from './bus.js';
export * from './device.js';
export * from './devres.js';
export * from './driver.js';
