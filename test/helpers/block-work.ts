// Work counted as JS blocks executed (V8 precise block coverage in a child process) plus elements builtins scanned: deterministic, so tests can bound growth without timing.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkScenarioName } from './block-work-scenarios.js';

const CHILD = fileURLToPath(new URL('./block-work-child.js', import.meta.url));

export interface BlockWorkOptions {
  /**
   * Count Node's own scripts too (default false). They run the hooks of every
   * AsyncLocalStorage on each promise, so a storage left behind per boot
   * shows there; their count varies a few percent with the garbage collector.
   */
  readonly nodeScripts?: boolean;
  /** Run the first size once, uncounted, before measuring (default true). Off for scenarios whose state carries over from one run to the next. */
  readonly warmUp?: boolean;
}

/**
 * The work one run of each scenario does at each size: blocks of JavaScript
 * executed (cspmu's and its dependencies', not Node's) plus the elements
 * native search builtins visited (indexOf, includes, find, some, filter and
 * the like, on arrays, typed arrays and strings), which block coverage cannot
 * see inside. By default after a warm-up run at the first size, so that
 * one-time work (module loading, caches) counts in neither. Input is built
 * before counting starts. The child runs without V8's optimising compiler:
 * optimised code drops some block counts, more the hotter a function gets
 * and at times that depend on a background thread, so counts fell as a run
 * went on (7% over 300 boots) and varied between runs.
 */
export function blockWork<S extends WorkScenarioName>(scenarios: readonly S[], sizes: readonly number[], options: BlockWorkOptions = {}): Record<S, number[]> {
  const warmUp = options.warmUp ?? true;
  const args = ['--no-opt', CHILD, scenarios.join(','), JSON.stringify(options), ...(warmUp ? [String(sizes[0])] : []), ...sizes.map(String)];
  const counts = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 })) as Record<S, number[]>;
  if (warmUp) for (const s of scenarios) counts[s] = counts[s].slice(1);
  return counts;
}
