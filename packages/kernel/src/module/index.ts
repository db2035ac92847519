export * from './types.js';
export * from './names.js';
export * from './loader.js';
