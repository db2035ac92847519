export * from './loader.js';
export * from './types.js';
