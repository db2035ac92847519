// The public entry of @cspmu/exec: running programs (the real perf among them) against the emulated PMUs, and the event server.
export * from './credentials.js';
export * from './exec.js';
export * from './native.js';
export * from './protocol.js';
export * from './read-format.js';
export * from './served-events.js';
export * from './server.js';
export * from './views.js';
