export { runStat, type StatRequest, type StatResult, type CounterRow } from './stat/run.js';
export { printHuman, humanLine, csvLine, jsonLine } from './stat/print.js';
export { listPmus } from './commands/list.js';
export { attrLines } from './commands/encode.js';
