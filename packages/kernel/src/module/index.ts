// The module loader's entry: the loader, the module descriptor types and the words of a refused module reference.
export * from './loader.js';
export * from './refusal.js';
export * from './types.js';
