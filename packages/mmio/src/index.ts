// The public entry of @cspmu/mmio: the bus, address map, IoMem accessors, register banks and MMIO tracers.
export * from './address-map.js';
export * from './bus.js';
export * from './bus-error.js';
export * from './device.js';
export * from './iomem.js';
export * from './kmmio.js';
export * from './mmiotrace.js';
export * from './recorder.js';
export * from './register-bank.js';
export * from './rwmmio.js';
