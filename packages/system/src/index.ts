export * from './machine.js';
export * from './workspace.js';
export * from './bindings.js';
