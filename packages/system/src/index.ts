export * from './bindings.js';
export * from './machine.js';
export * from './workspace.js';
