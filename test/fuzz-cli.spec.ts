// npm run fuzz as a user runs it: seeded chunks of runs shared by processes, coverage figures, and a failure that replays in one process.

import { join } from 'node:path';
import { MAX_CHUNK_RUNS, planChunks, workerFlags } from '@cspmu/testkit';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

const FUZZ = join(ROOT, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');

describe('npm run fuzz', function () {
  this.timeout(120000);

  it('cuts the runs into seeded chunks: at least 4 per process, none over the maximum, every run in exactly one', () => {
    const sizes = (runs: number, jobs: number) => planChunks(runs, jobs, 7).map((c) => c.runs);
    expect(sizes(40, 2)).to.deep.equal(Array(8).fill(5));
    expect(sizes(3, 2)).to.deep.equal([1, 1, 1]);
    expect(sizes(1001, 2)).to.deep.equal([...Array(10).fill(100), 1]);
    expect(sizes(401, 2)).to.deep.equal([...Array(7).fill(51), 44]);
    const big = planChunks(100000, 2, 2 ** 31 - 2);
    expect(big).to.have.length(100000 / MAX_CHUNK_RUNS);
    expect(big.every((c) => c.runs === MAX_CHUNK_RUNS)).to.equal(true);
    // Chunk k is seeded seed + k, as a 32-bit integer.
    expect(big.slice(0, 3).map((c) => c.seed)).to.deep.equal([2 ** 31 - 2, 2 ** 31 - 1, -(2 ** 31)]);
    expect(big.map((c) => c.index)).to.deep.equal([...Array(big.length).keys()]);
  });

  it('runs workers with their GC on their own thread only when the jobs take every core', () => {
    expect(workerFlags(2, 2)).to.deep.equal(['--single-threaded-gc']);
    expect(workerFlags(3, 2)).to.deep.equal(['--single-threaded-gc']);
    expect(workerFlags(2, 4)).to.deep.equal([]);
  });

  it('cuts 40 runs into 8 chunks of 5 (seeds 3 to 10) shared by 2 processes, combines their runs, and prints the coverage figures', () => {
    const r = node([FUZZ, '--runs', '40', '--seed', '3', '--jobs', '2']);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain('coverage over 40 runs:');
    for (const n of ['rotated', 'overflowed32', 'migrated', 'toreAndRetried', 'hotSwapped', 'raced'])
      expect(r.stdout).to.match(new RegExp(`^  ${n} +\\d+ runs +\\d+\\.\\d%  \\(goal \\d+%, (ok|BELOW GOAL)\\)$`, 'm'));
    expect(r.stdout).to.contain('40 runs passed (seeds 3..10: 8 chunks over 2 processes)');
  });

  it('prints a failure found by a worker as a seed and path that replay in one process to the same trace', () => {
    const r = node([FUZZ, '--runs', '200', '--seed', '1', '--jobs', '2', '--inject', 'no-hilohi']);
    expect(r.status).to.equal(1);
    // 200 runs over 2 processes: 8 chunks of 25, seeds 1 to 8.
    expect(r.stdout).to.match(/FAILED: torn-read report, found by seed [1-8] after \d+ passing runs/);
    const replay = /replay with: npm run fuzz -- --seed (-?\d+) --path "([\d:]+)" --inject no-hilohi --trace/.exec(r.stdout);
    expect(replay, r.stdout).to.not.equal(null);
    const digest = /trace digest: ([0-9a-f]{16})/.exec(r.stdout)![1];
    const again = node([FUZZ, '--seed', replay![1]!, '--path', replay![2]!, '--inject', 'no-hilohi', '--trace']);
    expect(again.status).to.equal(1);
    expect(again.stdout).to.contain(`trace digest: ${digest}`);
    expect(again.stdout).to.match(/: torn-read report: torn read: event \d+ on arm-cs-arch-pmu\.1/);
    expect(again.stdout).to.match(/^step read a 64-bit counter across its carry/m);
  });

  it('refuses an unknown hazard and a path without its seed, exit code 2', () => {
    const bad = node([FUZZ, '--inject', 'use-after-free']);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain("unknown injected hazard 'use-after-free'");
    const noSeed = node([FUZZ, '--path', '3:1']);
    expect(noSeed.status).to.equal(2);
    expect(noSeed.stderr).to.contain('--path needs the --seed it came from');
  });
});
