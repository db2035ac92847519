export * from './types.js';
export * from './loader.js';
