export * from './conformance.js';
export * from './fuzz/platform.js';
export * from './fuzz/model.js';
export * from './fuzz/commands.js';
export * from './fuzz/coverage.js';
export * from './fuzz/report.js';
export * from './fuzz/property.js';
export * from './fuzz/runner.js';
export { traceDigest } from './fuzz/jobs.js';
