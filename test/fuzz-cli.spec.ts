// npm run fuzz as a user runs it: worker processes with their own seeds, coverage figures, and a failure that replays in one process.

import { join } from 'node:path';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

const FUZZ = join(ROOT, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');

describe('npm run fuzz', function () {
  this.timeout(120000);

  it('runs 2 workers with seeds 3 and 4, combines their runs, and prints the coverage figures', () => {
    const r = node([FUZZ, '--runs', '40', '--seed', '3', '--jobs', '2']);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain('coverage over 40 runs:');
    for (const n of ['rotated', 'overflowed32', 'migrated', 'toreAndRetried', 'hotSwapped', 'raced'])
      expect(r.stdout).to.match(new RegExp(`^  ${n} +\\d+ runs +\\d+\\.\\d%  \\(goal \\d+%, (ok|BELOW GOAL)\\)$`, 'm'));
    expect(r.stdout).to.contain('40 runs passed (seeds 3..4 over 2 workers)');
  });

  it('prints a failure found by a worker as a seed and path that replay in one process to the same trace', () => {
    const r = node([FUZZ, '--runs', '200', '--seed', '1', '--jobs', '2', '--inject', 'no-hilohi']);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/FAILED: torn-read report, found by seed [12] after \d+ passing runs/);
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
