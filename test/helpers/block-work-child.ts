// Child process for blockWork: runs each scenario named at each size given and prints the work of each run: JS blocks V8 executed (precise block coverage) plus elements native builtins scanned.
import { Session } from 'node:inspector';
import type { BlockWorkOptions } from './block-work.js';
// Before anything that could capture a builtin: from here on the search builtins count the elements they visit.
import { takeVisited } from './builtin-scans.js';

const COUNTER = new URL('./builtin-scans.js', import.meta.url).href;

const session = new Session();
session.connect();
function post<T>(method: string, params?: object): T {
  let result: T | undefined;
  let failure: Error | null = null;
  // An in-process session answers synchronously.
  session.post(method, params, (err, res) => {
    failure = err;
    result = res as T;
  });
  if (failure) throw failure;
  return result as T;
}

interface Coverage {
  readonly result: readonly { readonly url: string; readonly functions: readonly { readonly ranges: readonly { readonly count: number }[] }[] }[];
}

/**
 * Every block count since the last call (taking the coverage resets the
 * counters) and every element a builtin scanned, but not the counter's own
 * blocks, nor, unless asked, Node's: its promise and async hooks run a
 * number of times that depends on when the garbage collector runs.
 */
function workSinceLastTake(options: BlockWorkOptions): number {
  let total = takeVisited();
  for (const script of post<Coverage>('Profiler.takePreciseCoverage').result) {
    if (script.url === COUNTER || (script.url.startsWith('node:') && !options.nodeScripts)) continue;
    for (const fn of script.functions) for (const range of fn.ranges) total += range.count;
  }
  return total;
}

// Coverage starts before anything of cspmu is imported, so every function of it is compiled with block counters.
post('Profiler.enable');
post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
const { WORK_SCENARIOS } = await import('./block-work-scenarios.js');
const [names, optionsJson, ...sizes] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '{}') as BlockWorkOptions;
const counts: Record<string, number[]> = {};
for (const name of (names ?? '').split(',')) {
  const scenario = WORK_SCENARIOS[name as keyof typeof WORK_SCENARIOS];
  if (!scenario) throw new Error(`no work scenario '${name}'`);
  counts[name] = [];
  for (const n of sizes.map(Number)) {
    const run = await scenario.prepare(n);
    workSinceLastTake(options);
    await run();
    counts[name].push(workSinceLastTake(options));
  }
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
