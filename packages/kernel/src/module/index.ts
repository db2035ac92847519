// The module loader's entry: the loader and the module descriptor types.
export * from './loader.js';
export * from './types.js';
