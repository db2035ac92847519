// @cspmu/perf-tool: the user side of perf, from an -e string to the lines perf stat prints.
export * from './format.js';
export { closeMatches } from './grammar/close-matches.js';
export * from './grammar/grammar.js';
export * from './grammar/lexical.js';
export * from './grammar/symbols.js';
export * from './groups.js';
export * from './open.js';
export * from './stat/aggregate.js';
export { type ExecError, resolveCommand, workloadFailedText } from './stat/command.js';
export * from './stat/metrics.js';
export * from './stat/runner.js';
export * from './sysfs-reader.js';
