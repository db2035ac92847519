export * from './conformance.js';
export * from './fuzz/platform.js';
export * from './fuzz/model.js';
export * from './fuzz/commands.js';
export * from './fuzz/property.js';
