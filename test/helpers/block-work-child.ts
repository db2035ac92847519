// Child process for blockWork: runs each scenario named at each size given and prints the JS blocks V8 executed in each run (precise block coverage).
import { Session } from 'node:inspector';

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
 * counters), but Node's own: its promise and async hooks run a number of
 * times that depends on when the garbage collector runs.
 */
function blocksSinceLastTake(): number {
  let total = 0;
  for (const script of post<Coverage>('Profiler.takePreciseCoverage').result) {
    if (script.url.startsWith('node:')) continue;
    for (const fn of script.functions) for (const range of fn.ranges) total += range.count;
  }
  return total;
}

// Coverage starts before anything of cspmu is imported, so every function of it is compiled with block counters.
post('Profiler.enable');
post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
const { WORK_SCENARIOS } = await import('./block-work-scenarios.js');
const [names, ...sizes] = process.argv.slice(2);
const counts: Record<string, number[]> = {};
for (const name of (names ?? '').split(',')) {
  const scenario = WORK_SCENARIOS[name as keyof typeof WORK_SCENARIOS];
  if (!scenario) throw new Error(`no work scenario '${name}'`);
  counts[name] = [];
  for (const n of sizes.map(Number)) {
    const run = scenario.prepare(n);
    blocksSinceLastTake();
    await run();
    counts[name].push(blocksSinceLastTake());
  }
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
