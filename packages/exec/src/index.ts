export * from './protocol.js';
export * from './read-format.js';
export * from './credentials.js';
export * from './served-events.js';
export * from './views.js';
export * from './server.js';
export * from './native.js';
export * from './exec.js';
