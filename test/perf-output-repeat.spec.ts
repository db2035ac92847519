// Tests that cspmu stat -r N prints its elapsed-time footer as the real perf 6.1 does when every run took the same time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cspmu } from './helpers/cli.js';
import { compareStd, perfUnavailable } from './helpers/perf-output.js';

const footerOf = (s: string) => s.split('\n').find((l) => l.includes('seconds time elapsed')) ?? '';

describe('perf stat -r: the footer of runs that all took the same time, cspmu against the real perf 6.1', function () {
  this.timeout(60000);
  let dir = '';
  let why = perfUnavailable();
  before(function () {
    if (!why) {
      // perf times each run with CLOCK_MONOTONIC: a clock that never moves gives it runs of one length, as cspmu's --duration does.
      dir = mkdtempSync(join(tmpdir(), 'cspmu-frozen-clock-'));
      writeFileSync(
        join(dir, 'frozen.c'),
        '#include <time.h>\nint clock_gettime(clockid_t c, struct timespec *t) { (void)c; t->tv_sec = 1000; t->tv_nsec = 0; return 0; }\n',
      );
      const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'frozen.so'), join(dir, 'frozen.c')], { encoding: 'utf8' });
      if (!existsSync(join(dir, 'frozen.so'))) why = `no C compiler to build a frozen clock (${(cc.stderr || cc.error?.message || '').trim()})`;
    }
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the mean and a zero deviation with 2 decimals and no ( +- x% ), as perf does', () => {
    const theirs = spawnSync('perf', ['stat', '-r', '3', '-e', 'task-clock', 'true'], {
      encoding: 'utf8',
      timeout: 30000,
      env: { ...process.env, LC_ALL: 'C', LD_PRELOAD: join(dir, 'frozen.so') },
    });
    expect(theirs.status, theirs.stderr).to.equal(0);
    expect(footerOf(theirs.stderr)).to.equal('              0.00 +- 0.00 seconds time elapsed');
    // Three runs of 100 ms each: a sum in seconds would leave a deviation of 1e-17 and print 20 decimals.
    const ours = cspmu(['stat', '-r', '3', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '100ms']);
    expect(ours.status, ours.stderr).to.equal(0);
    expect(footerOf(ours.stderr)).to.equal('              0.10 +- 0.00 seconds time elapsed');
    expect(compareStd(footerOf(theirs.stderr), footerOf(ours.stderr))).to.deep.equal([]);
  });
});
