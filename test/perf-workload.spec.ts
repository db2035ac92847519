// Tests that cspmu stat treats a command that cannot start, and the values -I and --interval-count take, as the real perf 6.1 does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cspmu } from './helpers/cli.js';
import { perfUnavailable, realPerf } from './helpers/perf-output.js';

const why = perfUnavailable();

describe('perf stat with a command that cannot start', function () {
  this.timeout(120000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cspmu-workload-'));
    writeFileSync(join(dir, 'plain-file'), 'not a program\n', { mode: 0o644 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: readonly { name: string; command: () => string[]; args?: string[]; expected: string }[] = [
    { name: 'a name on no PATH entry', command: () => ['cspmu-no-such-command'], expected: 'Workload failed: No such file or directory\n' },
    { name: 'a missing path', command: () => [join(dir, 'missing')], expected: 'Workload failed: No such file or directory\n' },
    { name: 'an empty name', command: () => [''], expected: 'Workload failed: No such file or directory\n' },
    { name: 'a file without an x bit', command: () => [join(dir, 'plain-file')], expected: 'Workload failed: Permission denied\n' },
    { name: 'a directory', command: () => [dir], expected: 'Workload failed: Permission denied\n' },
    { name: 'a path through a file', command: () => [join(dir, 'plain-file', 'x')], expected: 'Workload failed: Not a directory\n' },
    {
      name: 'a missing command under -r 3 (once a run)',
      args: ['-r', '3'],
      command: () => ['cspmu-no-such-command'],
      expected: 'Workload failed: No such file or directory\n'.repeat(3),
    },
    { name: 'a missing command under -x,', args: ['-x,'], command: () => ['cspmu-no-such-command'], expected: 'Workload failed: No such file or directory\n' },
  ];
  for (const c of cases) {
    it(`${c.name}: "Workload failed" with strerror on stderr, nothing on stdout, exit 255`, () => {
      const args = ['stat', ...(c.args ?? []), '-e', 'task-clock', ...c.command()];
      const ours = cspmu(args);
      expect({ status: ours.status, stdout: ours.stdout, stderr: ours.stderr }).to.deep.equal({ status: 255, stdout: '', stderr: c.expected });
      if (why) return;
      const theirs = realPerf(args);
      expect({ status: theirs.status, stdout: theirs.stdout, stderr: theirs.stderr }).to.deep.equal({ status: 255, stdout: '', stderr: c.expected });
    });
  }

  it('a name whose only PATH match cannot be run: Permission denied (execvp reports EACCES over ENOENT)', () => {
    const env = { PATH: `${join(dir, 'nowhere')}:${dir}:/usr/bin:/bin` };
    const ours = cspmu(['stat', '-e', 'task-clock', 'plain-file'], { env });
    expect({ status: ours.status, stderr: ours.stderr }).to.deep.equal({ status: 255, stderr: 'Workload failed: Permission denied\n' });
    if (why) return;
    const theirs = spawnSync('perf', ['stat', '-e', 'task-clock', 'plain-file'], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect({ status: theirs.status, stderr: theirs.stderr }).to.deep.equal({ status: 255, stderr: 'Workload failed: Permission denied\n' });
  });

  it('a missing command under -I prints no interval (perf prints one or two <not counted> lines first, as its timer races the exec)', () => {
    const ours = cspmu(['stat', '-I', '100', '-e', 'task-clock', 'cspmu-no-such-command']);
    expect({ status: ours.status, stderr: ours.stderr }).to.deep.equal({ status: 255, stderr: 'Workload failed: No such file or directory\n' });
    if (why) return;
    const theirs = realPerf(['stat', '-I', '100', '-e', 'task-clock', 'cspmu-no-such-command']);
    expect(theirs.status).to.equal(255);
    expect(theirs.stderr.split('\n').at(-2)).to.equal('Workload failed: No such file or directory');
  });
});

describe('perf stat -I and --interval-count values, as perf 6.1 parses them', function () {
  this.timeout(120000);
  type Reading = 'no interval' | 'intervals' | 'refused: unsigned' | 'refused: numerical';
  /** What a tool made of the value, from its status and output: with an interval, no summary. */
  const reading = (r: { status: number; stderr: string }): Reading => {
    if (r.status !== 0) {
      expect(r.stderr, `status ${r.status}`).to.match(/expects (an unsigned|a) numerical value/);
      return /unsigned/.test(r.stderr) ? 'refused: unsigned' : 'refused: numerical';
    }
    // Not the interval lines themselves: perf prints none when `true` exits before its first timer, a race.
    return r.stderr.includes('Performance counter stats for') ? 'no interval' : 'intervals';
  };
  const values: readonly [string, Reading][] = [
    ['00', 'no interval'],
    ['0', 'no interval'],
    ['', 'no interval'],
    [' +0', 'no interval'],
    ['4294967296', 'no interval'],
    ['1', 'intervals'],
    ['5', 'intervals'],
    ['010', 'intervals'],
    ['+10', 'intervals'],
    [' 10', 'intervals'],
    ['4294967297', 'intervals'],
    ['99999999999999999999', 'intervals'],
    ['-1', 'refused: unsigned'],
    ['abc', 'refused: numerical'],
    ['1.5', 'refused: numerical'],
    ['0x10', 'refused: numerical'],
    ['10ms', 'refused: numerical'],
    ['10 ', 'refused: numerical'],
    ['+-1', 'refused: numerical'],
    ['+', 'refused: numerical'],
    [' ', 'refused: numerical'],
  ];
  for (const [value, expected] of values) {
    it(`-I '${value}': ${expected}`, () => {
      const args = ['stat', '-I', value, '-e', 'task-clock', 'true'];
      const ours = cspmu(args);
      expect(reading(ours), ours.stderr).to.equal(expected);
      if (expected.startsWith('refused')) expect(ours.stderr).to.match(/^cspmu: EINVAL: -I '.*' expects .*\n$/s);
      if (why) return;
      const theirs = realPerf(args);
      expect(reading(theirs), theirs.stderr).to.equal(expected);
    });
  }

  it('-I past a long is clamped to LONG_MAX before its cut to 32 bits: 4294967295 ms, not the value mod 2^32 (1661992959 ms)', () => {
    const r = cspmu(['stat', '-a', '-I', '99999999999999999999', '--duration', '2000000s', '-e', 'task-clock']);
    expect(
      r.stderr
        .split('\n')
        .filter((l) => /^ *\d+\.\d{9} /.test(l))
        .map((l) => l.trim().split(/\s+/)[0]),
    ).to.deep.equal(['2000000.000000000']);
  });

  it("--interval-count takes perf's values too: 00 is no limit, -1 and 2x are refused", () => {
    const run = (count: string) => cspmu(['stat', '-a', '-I', '10', '--interval-count', count, '-e', 'task-clock', '--duration', '50ms']);
    const lines = (s: string) => s.split('\n').filter((l) => /^ +\d+\.\d{9} /.test(l)).length;
    expect(lines(run('00').stderr)).to.equal(5);
    expect(lines(run('+2').stderr)).to.equal(2);
    expect(run('-1').stderr).to.equal(
      "cspmu: EINVAL: --interval-count '-1' expects an unsigned numerical value: how many intervals to print, 0 for no limit\n",
    );
    expect(run('2x').stderr).to.equal("cspmu: EINVAL: --interval-count '2x' expects a numerical value: how many intervals to print, 0 for no limit\n");
  });
});
