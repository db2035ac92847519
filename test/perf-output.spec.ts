// Tests that cspmu stat prints what the real perf 6.1 prints for the same counts, in the std, CSV and JSON layouts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cspmu } from './helpers/cli.js';
import { compareCsv, compareJson, compareStd, perfUnavailable, realPerf } from './helpers/perf-output.js';

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly command: readonly string[];
  readonly layout: 'std' | 'csv' | 'json';
  /** Compare only the first lines (interval runs end at a time that varies). */
  readonly first?: number;
  /** The CSV separator as printed (-x \\t prints tabs). */
  readonly sep?: string;
}

const SW = 'task-clock,cpu-clock';
const CORPUS: Case[] = [
  { name: 'text, per task', args: ['-e', SW], command: ['true'], layout: 'std' },
  { name: 'text, -C', args: ['-C', '0', '-e', SW], command: ['sleep', '0.05'], layout: 'std' },
  { name: 'CSV -x,', args: ['-x,', '-e', SW], command: ['true'], layout: 'csv' },
  { name: 'CSV -x with another separator', args: ['-x', ';', '-C', '0', '-e', SW], command: ['true'], layout: 'csv' },
  { name: 'JSON -j', args: ['-j', '-e', SW], command: ['true'], layout: 'json' },
  { name: 'interval -I 100', args: ['-C', '0', '-I', '100', '-e', SW], command: ['sleep', '0.45'], layout: 'std', first: 5 },
  // perf 6.1 takes any interval of 1 ms or more, and -I 0 prints no intervals at all.
  { name: '-I 5', args: ['-C', '0', '-I', '5', '-e', SW], command: ['sleep', '0.1'], layout: 'std', first: 5 },
  { name: '-I 0 is no interval', args: ['-I', '0', '-e', SW], command: ['true'], layout: 'std' },
  { name: 'interval CSV', args: ['-C', '0', '-I', '100', '-x,', '-e', SW], command: ['sleep', '0.45'], layout: 'csv', first: 4 },
  { name: 'interval JSON', args: ['-C', '0', '-I', '100', '-j', '-e', SW], command: ['sleep', '0.45'], layout: 'json', first: 4 },
  { name: '-A per CPU', args: ['-C', '0,1', '-A', '-e', SW], command: ['sleep', '0.05'], layout: 'std' },
  { name: '-A CSV', args: ['-C', '0,1', '-A', '-x,', '-e', SW], command: ['sleep', '0.05'], layout: 'csv' },
  { name: '-A JSON', args: ['-C', '0,1', '-A', '-j', '-e', SW], command: ['sleep', '0.05'], layout: 'json' },
  { name: '--no-merge', args: ['-C', '0', '--no-merge', '-e', SW], command: ['sleep', '0.05'], layout: 'std' },
  { name: '--per-socket', args: ['-C', '0', '--per-socket', '-e', SW], command: ['sleep', '0.05'], layout: 'std' },
  { name: '--per-node CSV', args: ['-C', '0', '--per-node', '-x,', '-e', SW], command: ['sleep', '0.05'], layout: 'csv' },
  { name: '--per-core JSON', args: ['-C', '0', '--per-core', '-j', '-e', SW], command: ['sleep', '0.05'], layout: 'json' },
  { name: '-r 3 with the variance column', args: ['-r', '3', '-e', SW], command: ['true'], layout: 'std' },
  { name: '-r 3 CSV', args: ['-r', '3', '-x,', '-e', SW], command: ['true'], layout: 'csv' },
  { name: '-r 3 JSON', args: ['-r', '3', '-j', '-e', SW], command: ['true'], layout: 'json' },
  { name: '<not supported>', args: ['-e', 'cycles,task-clock'], command: ['true'], layout: 'std' },
  { name: '<not supported> CSV and JSON', args: ['-x,', '-e', 'instructions,task-clock'], command: ['true'], layout: 'csv' },
  { name: 'a group that does not fit', args: ['-e', '{task-clock,cpu-clock,cycles}'], command: ['true'], layout: 'std' },
  { name: 'a group that does not fit, JSON', args: ['-j', '-e', '{task-clock,cpu-clock,cycles}'], command: ['true'], layout: 'json' },
  { name: 'modifiers in names', args: ['-x,', '-e', 'task-clock:u', '-e', 'cpu-clock:k'], command: ['true'], layout: 'csv' },
  { name: '--no-big-num', args: ['--no-big-num', '-e', SW], command: ['true'], layout: 'std' },
  { name: '-B', args: ['-B', '-C', '0', '-e', SW], command: ['sleep', '0.05'], layout: 'std' },
  { name: '--no-big-num with -x', args: ['--no-big-num', '-x,', '-e', SW], command: ['true'], layout: 'csv' },
  { name: '-B with -j', args: ['-B', '-j', '-e', SW], command: ['true'], layout: 'json' },
  { name: '-x \\t is a tab', args: ['-x', '\\t', '-e', SW], command: ['true'], layout: 'csv', sep: '\t' },
  // Exactly two intervals, then nothing, though the command runs on: the whole output is compared.
  { name: '--interval-count 2', args: ['-C', '0', '-I', '100', '--interval-count', '2', '-e', SW], command: ['sleep', '0.45'], layout: 'std' },
  { name: '--interval-count 2, CSV', args: ['-C', '0', '-I', '100', '--interval-count', '2', '-x,', '-e', SW], command: ['sleep', '0.45'], layout: 'csv' },
  {
    name: '--interval-count 0 is no limit',
    args: ['-C', '0', '-I', '100', '--interval-count', '0', '-e', SW],
    command: ['sleep', '0.45'],
    layout: 'std',
    first: 5,
  },
];

describe('perf stat output: cspmu against the real perf 6.1', function () {
  this.timeout(120000);
  const why = perfUnavailable();

  for (const c of CORPUS) {
    it(`${c.name}: perf stat ${[...c.args, ...c.command].join(' ')}`, function () {
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      const theirs = realPerf(['stat', ...c.args, '--', ...c.command]);
      const ours = cspmu(['stat', ...c.args, '--', ...c.command], { env: { LC_ALL: 'C' } });
      expect(theirs.status, theirs.stderr).to.equal(0);
      expect(ours.status, ours.stderr).to.equal(0);
      expect(ours.stdout, 'the counts go to stderr, as perf prints them').to.equal('');
      const cut = (s: string) => (c.first ? s.split('\n').slice(0, c.first).join('\n') : s);
      const [a, b] = [cut(theirs.stderr), cut(ours.stderr)];
      const problems =
        c.layout === 'std' ? compareStd(a, b) : c.layout === 'csv' ? compareCsv(a, b, c.sep ?? (c.args.includes(';') ? ';' : ',')) : compareJson(a, b);
      expect(problems, `\n${problems.join('\n')}\n--- perf:\n${theirs.stderr}--- cspmu:\n${ours.stderr}`).to.deep.equal([]);
    });
  }

  it('repeats the interval header every 25 intervals', function () {
    if (why) this.skip();
    // How many intervals a wall-clock sleep yields depends on load, so both tools are held to perf's rule
    // (a header before intervals 0, 25, 50, ...) rather than to a fixed count.
    const args = ['stat', '-C', '0', '-I', '10', '-e', 'task-clock', '--', 'sleep', '0.6'];
    const headerPlaces = (s: string) => {
      const places: number[] = [];
      let intervals = 0;
      for (const line of s.split('\n')) {
        if (line.startsWith('#')) places.push(intervals);
        else if (/^ +\d+\.\d+ /.test(line)) intervals++;
      }
      return { places, intervals, header: s.split('\n').find((l) => l.startsWith('#')) };
    };
    const [theirs, ours] = [realPerf(args).stderr, cspmu(args).stderr].map(headerPlaces);
    for (const out of [theirs!, ours!]) {
      expect(out.intervals, 'enough intervals to repeat the header').to.be.greaterThan(25);
      expect(out.places).to.deep.equal(Array.from({ length: Math.ceil(out.intervals / 25) }, (_, k) => 25 * k));
    }
    expect(ours!.header).to.equal(theirs!.header);
  });

  it('-o FILE writes the same report, after a "# started on" line', function () {
    if (why) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-o-'));
    const args = (f: string) => ['stat', '-o', join(dir, f), '-e', SW, '--', 'true'];
    expect(realPerf(args('perf.txt')).stderr).to.equal('');
    const r = cspmu(args('cspmu.txt'));
    expect([r.status, r.stderr]).to.deep.equal([0, '']);
    const [a, b] = ['perf.txt', 'cspmu.txt'].map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(b).to.match(/^# started on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n\n/);
    expect(compareStd(a!.replace(/^# started on .*\n/, ''), b!.replace(/^# started on .*\n/, ''))).to.deep.equal([]);
  });
});

describe('perf list and uncore names: cspmu against the real perf over our exported sysfs', function () {
  this.timeout(120000);
  const why = perfUnavailable();
  let tree = '';
  before(function () {
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    // On tmpfs the export lists the PMUs in cspmu's order, which perf then scans (ext4 lists by a hash of its own).
    tree = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cspmu-tree-'));
    // With the units proposal sysfs has the .scale and .unit files, which both perfs read.
    expect(cspmu(['sysfs', 'export', tree, '--proposed', 'units']).status).to.equal(0);
  });

  after(() => {
    if (tree) rmSync(tree, { recursive: true, force: true });
  });

  it('cspmu list --perf prints what perf list pmu prints', () => {
    const theirs = realPerf(['list', 'pmu'], tree);
    expect(cspmu(['list', '--perf', '--proposed', 'units']).stdout).to.equal(theirs.stdout);
  });

  // perf list GLOB matches *GLOB* against pmu/event/ and the bare event name, case-insensitively but for [classes], a [!complement] too; a glob that
  // matches nothing (an unclosed class) prints nothing; a reversed range fails where it is reached.
  for (const glob of [
    'cycles',
    'CYCLES',
    'cmem*',
    'nvidia_scf_pmu',
    'nvidia_*_0',
    'socket_[1-3]_rd?data',
    'scf_pmu_1/',
    'rd_bytes\\_loc',
    'no_such_event',
    'socket_[!1]_rd_data/',
    '[!C]MEM_RD_DATA',
    '[C]MEM_RD_DATA',
    '[!]c]mem_rd_data',
    'socket_[13-1]_rd_data',
    'socket_[0-1-3]_rd_data',
    'socket_[-0]_rd_data',
    'socket_[0_rd_data',
  ]) {
    it(`cspmu list --perf ${glob} prints what perf list ${glob} prints`, () => {
      const theirs = realPerf(['list', glob], tree);
      const ours = cspmu(['list', '--perf', '--proposed', 'units', glob]);
      expect([ours.status, ours.stdout]).to.deep.equal([theirs.status, theirs.stdout]);
      if (!['no_such_event', '[C]MEM_RD_DATA', 'socket_[0_rd_data'].includes(glob)) expect(ours.stdout).to.contain('[Kernel PMU event]');
    });
  }

  for (const args of [
    ['-e', 'nvidia_scf_pmu/cycles/'],
    ['--no-merge', '-e', 'nvidia_scf_pmu/cycles/'],
    ['-e', 'cmem_rd_data'],
    ['--no-merge', '-e', 'cmem_rd_data'],
    ['-e', 'nvidia_pcie_pmu_1/rd_bytes_loc,name=pcie1/'],
    // perf lists a wildcard's copies in the order it scans the PMU directories.
    ['--no-merge', '-e', 'nvidia_pcie_pmu/rd_bytes_loc/,nvidia_cnvlink_pmu/rd_bytes_rem/'],
  ]) {
    it(`names the lines of perf stat -a ${args.join(' ')} as perf does`, () => {
      // The host kernel has no such PMU, so perf shows <not supported>; the names and units are what is compared.
      const names = (s: string) =>
        s
          .split('\n')
          .filter((l) => l.includes(','))
          .map((l) => l.split(',').slice(1, 3).join(','));
      const theirs = realPerf(['stat', '-a', '-x,', ...args, 'true'], tree);
      const ours = cspmu(['stat', '--proposed', 'units', '-a', '-x,', ...args, 'true']);
      expect(names(ours.stderr)).to.deep.equal(names(theirs.stderr)).and.not.be.empty;
    });
  }
});
