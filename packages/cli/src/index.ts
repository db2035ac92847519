// @cspmu/cli as a library: perf stat's printing (the counting itself is @cspmu/perf-tool's).

export { attrBlock, attrLines, encodedList, uncorePmus } from './commands/encode.js';
export { listPmus, perfListLines } from './commands/list.js';
export { perfListMatcher } from './list-glob.js';
export { fixed, numericLocale } from './stat/locale.js';
export { averagedLines, printedLines } from './stat/output.js';
export { footer, formatLine, header, intervalHeader, intervalPrefix, type Layout, type PrintConfig, type PrintedLine } from './stat/print.js';
