// The driver model's entry: bus, device, devres and driver.
export * from './bus.js';
export * from './device.js';
export * from './devres.js';
export * from './driver.js';
