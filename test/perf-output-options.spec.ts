// Tests that cspmu stat's digit grouping (-B, --no-big-num, the locale) and its refusals of option mixes follow the real perf 6.1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cspmu, oneLineError, ROOT } from './helpers/cli.js';
import { compareCsv, compareJson, compareStd, perfUnavailable, realPerf } from './helpers/perf-output.js';

/** Whether each line's count is digit-grouped (`1,234.56`), for the lines that have a count of four digits or more. */
const grouping = (text: string) =>
  text
    .split('\n')
    .map((l) => /^\s*([\d,]+(\.\d+)?) /.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n.replace(/,/g, '').split('.')[0]!.length >= 4)
    .map((n) => (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(n) ? 'grouped' : /^\d+(\.\d+)?$/.test(n) ? 'plain' : `malformed ${n}`));

describe('perf stat digit grouping: cspmu against the real perf 6.1 under a locale with a thousands separator', function () {
  this.timeout(120000);
  let locpath = '';
  let why = perfUnavailable();
  before(function () {
    if (!why) {
      // No such locale is installed here: compile en_US into a directory of our own and point LOCPATH at it, which glibc's setlocale reads.
      locpath = mkdtempSync(join(tmpdir(), 'cspmu-locale-'));
      const r = spawnSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(locpath, 'en_US.UTF-8')], { encoding: 'utf8' });
      if (!existsSync(join(locpath, 'en_US.UTF-8', 'LC_NUMERIC')))
        why = `localedef cannot build en_US.UTF-8 here (${(r.stderr || r.error?.message || '').trim()})`;
    }
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });
  after(() => {
    if (locpath) rmSync(locpath, { recursive: true, force: true });
  });

  const env = () => ({ LOCPATH: locpath, LC_ALL: 'en_US.UTF-8' });
  /** Both tools, system-wide, for long enough that task-clock passes 1,000 msec on the host's CPUs too. */
  const both = (args: readonly string[]) => {
    const full = ['stat', '-a', ...args, '-e', 'task-clock,cpu-clock', '--', 'sleep', '0.7'];
    const theirs = spawnSync('perf', full, { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env() } });
    const ours = cspmu(full, { env: env() });
    expect(theirs.status, theirs.stderr).to.equal(0);
    expect(ours.status, ours.stderr).to.equal(0);
    return { theirs: theirs.stderr, ours: ours.stderr };
  };

  for (const [name, args, expected] of [
    ['the default groups digits', [], 'grouped'],
    ['-B groups digits', ['-B'], 'grouped'],
    ['--no-big-num does not', ['--no-big-num'], 'plain'],
  ] as const) {
    it(`${name}, in the std layout, as perf does`, () => {
      const { theirs, ours } = both(args);
      expect(grouping(theirs), theirs).to.deep.equal([expected, expected]);
      expect(grouping(ours), ours).to.deep.equal([expected, expected]);
      const strip = (s: string) => s.replace(/^\s+[\d.,]+ seconds time elapsed$/m, '');
      expect(compareStd(strip(theirs), strip(ours))).to.deep.equal([]);
    });
  }

  it('CSV and JSON never group', () => {
    const csv = both(['-x,']);
    expect(compareCsv(csv.theirs, csv.ours, ',')).to.deep.equal([]);
    for (const out of [csv.theirs, csv.ours]) expect(out).to.match(/^\d{4,}\.\d\d,msec,task-clock,/m);
    const json = both(['-j']);
    expect(compareJson(json.theirs, json.ours)).to.deep.equal([]);
    for (const out of [json.theirs, json.ours]) expect(out).to.match(/"counter-value" : "\d{4,}\.\d{6}"/);
  });
});

describe('perf stat option mixes perf refuses, cspmu refuses too', function () {
  this.timeout(60000);
  const why = perfUnavailable();

  for (const [args, perfSays, oursSays] of [
    [['-B', '-x,'], '-B option not supported with -x', /^cspmu: EINVAL: -B option not supported with -x/],
    [
      ['--interval-count', '2'],
      'interval-count option should be used together with interval-print',
      /^cspmu: EINVAL: --interval-count N prints N intervals: give -I MS with it$/,
    ],
    // Counting per CPU, socket, node or core needs CPUs to count on: a command alone (per task) does not give them.
    ...(['-A', '--per-socket', '--per-node', '--per-core'] as const).map(
      (flag) =>
        [
          [flag],
          'both cgroup and no-aggregation modes only available in system-wide mode',
          /^cspmu: EINVAL: -A, --per-socket, --per-node and --per-core are only available in system-wide mode: add -a, or -C CPUS$/,
        ] as const,
    ),
  ] as const) {
    it(`perf stat ${args.join(' ')}`, () => {
      const ours = cspmu(['stat', ...args, '-e', 'task-clock', 'true']);
      expect(oneLineError(ours)).to.match(oursSays);
      if (why) {
        console.log(`      skipped the real perf: ${why}`);
        return;
      }
      const theirs = realPerf(['stat', ...args, '-e', 'task-clock', 'true']);
      expect(theirs.status).to.not.equal(0);
      expect(theirs.stderr).to.contain(perfSays);
    });
  }
});

describe('a bad event string: cspmu gives one line and exit 1 where perf 6.1 prints its caret diagram and exits 129 (README Limits)', function () {
  this.timeout(60000);
  let tree = '';
  const why = perfUnavailable();
  before(function () {
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    tree = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cspmu-bad-event-'));
    expect(cspmu(['sysfs', 'export', tree]).status).to.equal(0);
  });
  after(() => {
    if (tree) rmSync(tree, { recursive: true, force: true });
  });

  for (const [event, perfReason, ourReason] of [
    ['nvidia_scf_pmu_0/bogus/', "unknown term 'bogus' for pmu 'nvidia_scf_pmu_0'", "unknown term 'bogus' for PMU 'nvidia_scf_pmu_0'"],
    ['nvidia_scf_pmu_0/event=0x1ffffffffff/', 'value too big for format, maximum is 8589934591', 'value too big for format (event), maximum is 8589934591'],
    ['nvidia_nope_pmu/cycles/', "Cannot find PMU `nvidia_nope_pmu'", "unknown PMU 'nvidia_nope_pmu'"],
    ['bogus_event', 'parser error', "unknown event 'bogus_event'"],
  ] as const) {
    it(`-e ${event}`, () => {
      const theirs = realPerf(['stat', '-a', '-e', event, 'true'], tree);
      expect([theirs.status, theirs.stderr.split('\n')[0]!.startsWith("event syntax error: '")], theirs.stderr).to.deep.equal([129, true]);
      expect(theirs.stderr).to.contain(perfReason).and.contain("Run 'perf list' for a list of valid events");
      const ours = cspmu(['stat', '-a', '-e', event, 'true']);
      expect(ours.status).to.equal(1);
      expect(oneLineError(ours))
        .to.match(/^cspmu: EINVAL: event syntax error at column \d+ \('[^']+'\): /)
        .and.contain(ourReason);
    });
  }
});

describe('perf stat --interval-count without a command', function () {
  this.timeout(60000);
  const why = perfUnavailable();

  it('ends the run after N intervals, as perf does (no signal needed), also under a long --timeout; a --duration prints N', () => {
    const intervalLines = (s: string) => s.split('\n').filter((l) => /^ +\d+\.\d{9} /.test(l)).length;
    const args = ['stat', '-a', '-I', '100', '--interval-count', '2', '-e', 'task-clock'];
    // A run that did not end by itself is killed outright (a TERM would end it through perf's signal path and exit 0).
    const main = join(ROOT, 'packages', 'cli', 'dist', 'src', 'main.js');
    for (const extra of [[], ['--timeout', '600000']]) {
      const ours = spawnSync(process.execPath, [main, ...args, ...extra], { encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL' });
      expect([ours.status, ours.signal, intervalLines(ours.stderr)], `${extra.join(' ')}\n${ours.stderr}`).to.deep.equal([0, null, 2]);
    }
    const virtual = cspmu([...args, '--duration', '10s']);
    expect([virtual.status, intervalLines(virtual.stderr)], virtual.stderr).to.deep.equal([0, 2]);
    if (why) {
      console.log(`      skipped the real perf: ${why}`);
      return;
    }
    const theirs = spawnSync('perf', args, { encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL' });
    expect([theirs.status, theirs.signal, intervalLines(theirs.stderr)], theirs.stderr).to.deep.equal([0, null, 2]);
  });
});
