export * from './credentials.js';
export * from './exec.js';
export * from './native.js';
export * from './protocol.js';
export * from './read-format.js';
export * from './served-events.js';
export * from './server.js';
export * from './views.js';
