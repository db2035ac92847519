// @cspmu/cli as a library: perf stat's printing (the counting itself is @cspmu/perf-tool's).
export { formatLine, header, footer, intervalHeader, intervalPrefix, type PrintConfig, type PrintedLine, type Layout } from './stat/print.js';
export { printedLines, averagedLines } from './stat/output.js';
export { numericLocale, fixed } from './stat/locale.js';
export { listPmus } from './commands/list.js';
export { attrLines, attrBlock, uncorePmus } from './commands/encode.js';
