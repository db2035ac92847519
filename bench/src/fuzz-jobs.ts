// fuzz_jobs: wall time of `npm run fuzz` (the fuzz CLI) with one job and with two, same runs and seed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** One run of the fuzz CLI with `jobs` workers; wall ns. Throws if the fuzz run fails. */
export function fuzzOnce(root: string, jobs: number, runs: number, seed = 20261122): number {
  const cli = join(root, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, '--runs', String(runs), '--jobs', String(jobs), '--seed', String(seed)], { encoding: 'utf8', timeout: 600000 });
  const t = (performance.now() - t0) * 1e6;
  if (r.status !== 0) throw new Error(`fuzz --jobs ${jobs} failed (${r.status}): ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n')}`);
  return t;
}
