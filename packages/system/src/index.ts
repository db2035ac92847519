export * from './machine.js';
export * from './workspace.js';
