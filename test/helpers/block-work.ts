// Work counted as JS blocks executed (V8 precise block coverage in a child process): deterministic, so tests can bound growth without timing.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkScenarioName } from './block-work-scenarios.js';

const CHILD = fileURLToPath(new URL('./block-work-child.js', import.meta.url));

/**
 * The blocks of JavaScript (cspmu's and its dependencies', not Node's) that one
 * run of each scenario executes at each size, after a warm-up run at the
 * first size so that one-time work (module loading, caches) counts in
 * neither. Input is built before counting starts. Work inside native
 * builtins (indexOf, includes) is not seen; callbacks they call are.
 */
export function blockWork<S extends WorkScenarioName>(scenarios: readonly S[], sizes: readonly number[]): Record<S, number[]> {
  const args = [CHILD, scenarios.join(','), String(sizes[0]), ...sizes.map(String)];
  const counts = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 })) as Record<S, number[]>;
  for (const s of scenarios) counts[s] = counts[s].slice(1);
  return counts;
}
