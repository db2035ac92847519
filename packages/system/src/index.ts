// The public entry of @cspmu/system: the Machine facade, its bindings view and the workspace root where plugins are found.
export * from './bindings.js';
export * from './machine.js';
export * from './workspace.js';
